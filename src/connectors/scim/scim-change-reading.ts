/**
 * SCIM has no changelog: a service tells no one what changed since when. Its resources are reconciled
 * (and imported) instead, read in pages.
 */
import { ConnectorError } from '../connector-errors';
import type { ScimContext } from './scim-connection';

export function noChangelog(ctx: ScimContext): ConnectorError {
  return new ConnectorError(
    'configuration',
    `SCIM has no changelog: live sync cannot read the changes of ${ctx.baseUrl}; schedule a reconciliation instead (reconciliation: { schedule: "*/15 * * * *" } on the resource)`,
  );
}

export const latestToken = (ctx: ScimContext): Promise<string> => Promise.reject(noChangelog(ctx));
export const changesSince = (ctx: ScimContext): Promise<never> => Promise.reject(noChangelog(ctx));
