/**
 * An executor's claim on a pending operation is a lease (30 s unless TALLY_CLAIM_LEASE_MS says otherwise),
 * renewed every third of it while the executor works, so a claim outlives its claimant by at most one lease.
 * Past that, the operation is anybody's: its workflow takes it over, and the stranded-work sweeper makes sure
 * one does.
 */
import { nowOf, type ProvisioningDeps } from './provisioning-deps';

let claimMs = 30_000;

/** How long a claim lasts without renewal in this process. */
export const claimLeaseMs = () => claimMs;

/** Sets this process's claim lease (every process does, from its settings, when it opens its services). */
export function setClaimLease(ms: number): void {
  claimMs = ms;
}

/** When a claim made (or renewed) at `now` ends. */
export const claimUntil = (now: string) => new Date(Date.parse(now) + claimMs).toISOString();

export interface HeldClaim {
  shadowOid: string;
  operationId: string;
}

/** Runs `work` while renewing the claims on these operations; a renewal that fails is tried again at the next one. */
export async function holdingClaims<T>(deps: Pick<ProvisioningDeps, 'repo' | 'now'>, claims: readonly HeldClaim[], work: () => Promise<T>): Promise<T> {
  if (claims.length === 0) return work();
  const timer = setInterval(() => {
    deps.repo.shadows.renewClaims(claims, claimUntil(nowOf(deps))).catch(() => undefined);
  }, claimMs / 3);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
