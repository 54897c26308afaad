/**
 * `liveSync`: one per resource, polling its changelog. Each poll is one local activity that applies the
 * batch through the synchronization routine (failed changes go to their own processChange workflows)
 * and moves the stored position; between polls the workflow sleeps the interval, unless more changes
 * wait (after a poll that found changes, the next keeps looking a second before it ends empty). Signals pause, resume and stop it; the `status` query says where it is. It continues as new
 * before its history grows large, so it can run for months.
 */
import {
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PollResult } from '../sync/live-sync/changelog-poll';
import { historyIsLong } from './history-budget';
import { changeEventInputSchema, liveSyncInputSchema, type ChangeEventInput, type LiveSyncContinuation } from '../schema/workflow-inputs';
import { markedOnFailure } from './failure-state';
import { parseWorkflowInput } from './workflow-input';
import { queries, searchAttributes, signals, type LiveSyncStatus } from './workflow-ids';

const failFast = ['TallyLiveSyncAlreadyRunning', 'TallyConfigurationError', 'TallyModelError', 'TallyInvalidInput'];

const steps = proxyActivities<Pick<Activities, 'beginLiveSync' | 'requestReconciliation' | 'endLiveSync'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: failFast },
});
// While the resource or MongoDB is down the poll is tried again, and live sync waits there.
const poll = proxyLocalActivities<Pick<Activities, 'pollChangelog' | 'storeChangeEvents'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: failFast },
});

/** How long a poll after one that found changes keeps looking when it finds none (see pollChangelog). */
const LINGER_AFTER_CHANGES_MS = 1_000;

/** Continue as new past this many history events (a poll costs a few). */
const HISTORY_EVENTS_BEFORE_CONTINUING = 2_000;

export async function liveSync(raw: unknown): Promise<LiveSyncStatus> {
  return markedOnFailure(() => liveSyncBody(raw));
}

async function liveSyncBody(raw: unknown): Promise<LiveSyncStatus> {
  const input = parseWorkflowInput(liveSyncInputSchema, raw, 'liveSync');
  const { workflowId } = workflowInfo();
  const state: LiveSyncContinuation =
    input.continuation ??
    (await steps.beginLiveSync({ resource: input.resource, workflowId }).then((begun) => ({
      resourceOid: begun.resourceOid,
      resourceName: begun.resourceName,
      intervalMs: input.intervalMs ?? begun.intervalMs,
      batchSize: input.batchSize ?? begun.batchSize,
      startedAt: new Date().toISOString(),
      paused: false,
      stats: { polls: 0, changes: 0, applied: 0, handedOver: 0, reconciliationsStarted: 0 },
      lastErrors: [],
    })));
  let stopping = false;
  let lastPollAt: string | null = null;
  /** The last poll found changes: the next keeps looking a while when it finds none. */
  let found = false;
  let awaiting: NonNullable<LiveSyncStatus['awaitingApproval']> | null = null;
  let decided: NonNullable<LiveSyncStatus['lastDecision']> | null = null;
  const status = (): LiveSyncStatus => ({
    resource: state.resourceName,
    resourceOid: state.resourceOid,
    state: stopping ? 'stopped' : awaiting ? 'awaiting-approval' : state.paused ? 'paused' : 'polling',
    ...(awaiting ? { awaitingApproval: awaiting } : {}),
    ...(decided ? { lastDecision: decided } : {}),
    intervalMs: state.intervalMs,
    startedAt: state.startedAt,
    lastPollAt,
    ...state.stats,
    lastErrors: state.lastErrors,
  });
  const report = (news = '') => {
    const s = status();
    setCurrentDetails(`live sync of ${s.resource}: ${s.state}; ${s.polls} polls, ${s.changes} changes, ${s.applied} applied, ${s.handedOver} handed over${news ? `; ${news}` : ''}`);
  };
  setHandler(queries.liveSyncStatus, status);
  setHandler(signals.pauseLiveSync, () => void (state.paused = true));
  setHandler(signals.resumeLiveSync, () => void (state.paused = false));
  setHandler(signals.stopLiveSync, () => void (stopping = true));
  // Only a live sync that waits for a decision takes one.
  const decide = (approved: boolean) => (d?: { by?: string; reason?: string }) => {
    if (awaiting) decided = { approved, ...(d?.by ? { by: String(d.by) } : {}), ...(d?.reason ? { reason: String(d.reason) } : {}), at: new Date().toISOString() };
  };
  setHandler(signals.approve, decide(true));
  setHandler(signals.reject, decide(false));
  const signalled: ChangeEventInput[] = [];
  setHandler(signals.changeEvents, (events) => {
    for (const event of Array.isArray(events) ? events : []) {
      if (changeEventInputSchema.safeParse(event).success) signalled.push(event);
    }
  });
  upsertSearchAttributes([
    { key: searchAttributes.resource, value: state.resourceOid },
    { key: searchAttributes.state, value: 'running' },
  ]);
  report();

  while (!stopping) {
    if (state.paused) {
      report();
      await condition(() => !state.paused || stopping);
      continue;
    }
    if (signalled.length > 0) await poll.storeChangeEvents({ resourceOid: state.resourceOid, events: signalled.splice(0) });
    const result: PollResult = await poll.pollChangelog({
      resourceOid: state.resourceOid,
      limit: state.batchSize,
      ...(state.approveNext ? { approved: true } : {}),
      // After changes the poll keeps looking a while (timers wait a second at the least).
      ...(found ? { lingerMs: LINGER_AFTER_CHANGES_MS } : {}),
    });
    found = result.changes > 0;
    state.approveNext = undefined;
    lastPollAt = new Date().toISOString();
    state.stats.polls++;
    state.stats.changes += result.changes;
    state.stats.applied += result.applied;
    state.stats.handedOver += result.handedOver;
    state.lastErrors = [...state.lastErrors, ...result.errors].slice(-20);
    let news = '';
    if (result.expired) {
      const reconciliation = await steps.requestReconciliation({ resourceOid: state.resourceOid });
      state.stats.reconciliationsStarted++;
      news = `the changelog no longer held live sync's position (purged): reconciliation ${reconciliation} started to find what was missed`;
    }
    report(news);
    if (result.held) {
      // Nothing of the held changes is done and the position stays before them until an operator decides.
      awaiting = result.held;
      decided = null;
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'awaiting-approval' }]);
      report(`held ${result.held.held} objects: ${result.held.reasons.join('; ')}; see them: tally simulation show ${result.held.simulation}; decide: tally run approve ${workflowId} (or reject)`);
      await condition(() => decided !== null || stopping);
      awaiting = null;
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
      // Set by a signal handler while waiting (the compiler can't see it).
      const decision = decided as LiveSyncStatus['lastDecision'] | null;
      if (decision?.approved) state.approveNext = true;
      else stopping = true; // rejected (or stopped): live sync ends where it was, nothing lost
      report(decision ? `${decision.approved ? 'approved' : 'rejected'}${decision.by ? ` by ${decision.by}` : ''}` : '');
    }
    if (historyIsLong(HISTORY_EVENTS_BEFORE_CONTINUING)) {
      await continueAsNew<typeof liveSync>({ resource: state.resourceOid, continuation: state });
    }
    // After a poll that found changes the next follows at once (changes come in bursts); an idle poll waits.
    if (!result.more && result.changes === 0 && !state.approveNext) await condition(() => stopping || signalled.length > 0, state.intervalMs);
  }
  // Events signalled with the stop are kept for the next live sync.
  if (signalled.length > 0) await poll.storeChangeEvents({ resourceOid: state.resourceOid, events: signalled.splice(0) });
  await steps.endLiveSync({ resourceOid: state.resourceOid, workflowId });
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  report();
  return status();
}
