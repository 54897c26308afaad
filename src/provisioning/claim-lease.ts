/**
 * An executor's claim on a pending operation is a lease: it lasts `CLAIM_MS` and is renewed while the
 * executor works, so a claim outlives its claimant by at most `CLAIM_MS`. Past that, the operation is
 * anybody's: its workflow takes it over, and the stranded-work sweeper makes sure one does.
 */
import type { Repository } from '../repository/repository';

/** How long a claim lasts without renewal. */
export const CLAIM_MS = 30_000;

/** How often a working executor renews its claims. */
const RENEWAL_MS = CLAIM_MS / 3;

/** When a claim made (or renewed) at `now` ends. */
export const claimUntil = (now: string) => new Date(Date.parse(now) + CLAIM_MS).toISOString();

export interface HeldClaim {
  shadowOid: string;
  operationId: string;
}

/** Runs `work` while renewing the claims on these operations; a renewal that fails is tried again at the next one. */
export async function holdingClaims<T>(repo: Pick<Repository, 'renewClaims'>, claims: readonly HeldClaim[], now: () => string, work: () => Promise<T>): Promise<T> {
  if (claims.length === 0) return work();
  const timer = setInterval(() => {
    repo.renewClaims(claims, claimUntil(now())).catch(() => undefined);
  }, RENEWAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
