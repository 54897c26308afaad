/**
 * Validity takes effect when it passes: after a user is recomputed, his next validFrom or validTo (if
 * one is ahead) arms his `activationTimer` workflow, which recomputes him then.
 */
import type { UserDoc } from '../schema/objects';
import { nextValidityBoundary } from '../model';
import type { SyncDeps } from './sync-deps';

export async function armValidityTimer(deps: SyncDeps, user: UserDoc, now: string): Promise<string | undefined> {
  const at = nextValidityBoundary(user.activation, now);
  if (at === undefined) return undefined;
  await deps.workflows.requestActivationTimer({ userOid: user.oid, at });
  return at;
}
