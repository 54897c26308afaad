/**
 * Work whose executor is gone: an account operation claimed by an executor whose claim ran out (it died
 * before finishing or releasing it), or queued and never handed to a workflow; a user changed whose
 * accounts were never provisioned after the change. Whatever path left it (live sync, a change, an
 * assignment, an import or reconciliation page), each goes to the workflow that finishes it, started or
 * woken on its deterministic id: two sweeps, or two workers sweeping, ask for it once.
 */
import { channelSchema, type Channel } from '../schema/config';
import { claimLeaseMs } from '../provisioning';
import type { ShadowStore, UserStore } from '../repository/repository';
import { nowOf, type SyncDeps } from './sync-deps';

export interface StrandedWorkOptions {
  /** How long an operation may wait unclaimed, or a user unprovisioned, before it counts as stranded. @default 30 s (one claim) */
  graceMs?: number;
  /** How long after asking for a user's provisioning the sweep asks again while his mark stays. @default 5 minutes */
  reaskAfterMs?: number;
  /** Most operations and most users handed over per sweep. @default 500 */
  limit?: number;
}

export interface StrandedWork {
  /** Shadows whose first operation went to its provisionAccount workflow. */
  shadowOids: string[];
  /** Users whose provisioning went to their provisionUser workflow. */
  userOids: string[];
}

/** The channel the user's last change came through (a stored name Tally doesn't know: `user`). */
const channelOf = (stored: string | undefined): Channel => channelSchema.safeParse(stored).data ?? 'user';

const ago = (now: string, ms: number) => new Date(Date.parse(now) - ms).toISOString();

/** The stranded work at `now`: with `reaskAfterMs` 0, also the users the sweep has asked for already. */
export async function findStrandedWork(repo: { shadows: Pick<ShadowStore, 'awaitingExecutor'>; users: Pick<UserStore, 'withProjectionDue'> }, now: string, options: StrandedWorkOptions = {}) {
  const graceMs = options.graceMs ?? claimLeaseMs();
  const limit = options.limit ?? 500;
  const [shadows, users] = await Promise.all([
    repo.shadows.awaitingExecutor({ now, queuedBefore: ago(now, graceMs), limit }),
    repo.users.withProjectionDue({ before: ago(now, graceMs), handedOverBefore: ago(now, options.reaskAfterMs ?? 5 * 60_000), limit }),
  ]);
  return { shadows, users };
}

export async function handOverStrandedWork(deps: SyncDeps, options: StrandedWorkOptions = {}): Promise<StrandedWork> {
  const now = nowOf(deps);
  const { shadows, users } = await findStrandedWork(deps.repo, now, options);
  for (const shadow of shadows) {
    await deps.workflows.requestAccountProvisioning({ shadowOid: shadow.oid, resourceOid: shadow.resourceRef });
  }
  for (const { oid, projectionDue: due, metadata } of users) {
    if (!due) continue;
    await deps.workflows.requestUserProvisioning({
      userOid: oid,
      channel: channelOf(metadata?.modifyChannel),
      requestId: `stranded:${due.token}`,
      ...(due.paths ? { changedUserPaths: due.paths } : {}),
    });
    await deps.repo.users.markProjectionHandedOver(oid, due.token, now);
  }
  return { shadowOids: shadows.map((s) => s.oid), userOids: users.map((u) => u.oid) };
}

/**
 * Sweeps for stranded work every `intervalMs` until stopped. Every worker runs one: a worker is what
 * finishes work, so while one runs, nothing stranded waits longer than a claim and an interval.
 */
export function startStrandedWorkSweeper(
  deps: SyncDeps,
  options: StrandedWorkOptions & { intervalMs: number; onSwept?: (work: StrandedWork) => void; onError?: (error: unknown) => void },
): { stop(): Promise<void> } {
  let sweeping: Promise<void> | null = null;
  const timer = setInterval(() => {
    // A sweep still going (a slow repository) is not doubled.
    sweeping ??= handOverStrandedWork(deps, options)
      .then((work) => options.onSwept?.(work), (e) => options.onError?.(e))
      .finally(() => (sweeping = null));
  }, options.intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}
