import { isStorageUnavailableError } from '../repository/errors';
import { isResourceOutage } from '../provisioning';

/**
 * Errors that say "not now" rather than "not this object": MongoDB or the resource unreachable. The
 * page fails and is done again (the routine is idempotent), so the run waits instead of counting them.
 */
export function isOutage(e: unknown): boolean {
  return isStorageUnavailableError(e) || isResourceOutage(e);
}
