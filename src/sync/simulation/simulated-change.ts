/**
 * One change simulated: the synchronization routine runs as it would, over the sandbox repository and
 * recording connectors, and what it would have written becomes the change's simulation item.
 */
import { diffUserProperties } from '../../model';
import type { Repository } from '../../repository/repository';
import type { ResourceChange, UserDoc } from '../../schema/objects';
import { provisionRoleInputSchema, provisionUserInputSchema } from '../../schema/workflow-inputs';
import { redact } from '../../security/redact';
import { isOutage } from '../outage';
import { changeAccountName, synchronizeChange, type ChangeOutcome } from '../synchronize-change';
import type { SyncDeps } from '../sync-deps';
import { emptyOverlay, sandboxRepository, type Overlay, type SandboxOptions } from './sandbox-repository';
import { recordingConnectors } from '../../provisioning';
import { simulatedWorkflows, type HandedWork } from './simulated-workflows';
import { userDeletionStep } from '../user-deletion';
import { provisionUser } from '../projection';
import { provisionRole } from '../role-projection';
import { kindsOf, type SimulatedAccountOperation, type SimulatedUserChange, type SimulationItem } from '../../model/simulation';

/** A user's bookkeeping, not his properties: a simulation doesn't show it. */
const BOOKKEEPING = new Set(['oid', 'version', 'metadata', 'linkRef', 'projectionDue', 'deletion', 'configAssignment', 'iteration', 'iterationToken']);
/** Nested properties shown one by one. */
const NESTED = new Set(['extension', 'activation']);

function propertyKeys(...users: UserDoc[]): string[] {
  const keys = new Set<string>();
  for (const user of users) {
    for (const [key, value] of Object.entries(user)) {
      if (BOOKKEEPING.has(key)) continue;
      if (NESTED.has(key) && value && typeof value === 'object') for (const inner of Object.keys(value)) keys.add(`${key}/${inner}`);
      else keys.add(key);
    }
  }
  return [...keys].sort();
}

const NO_USER = { linkRef: [], assignment: [], version: 0 } as unknown as UserDoc;

/** A user that would be added, with his properties as deltas. */
export function addedUser(user: UserDoc): SimulatedUserChange {
  const before = { ...NO_USER, oid: user.oid, name: user.name };
  return { oid: user.oid, name: user.name, change: 'add', deltas: redact(diffUserProperties(before, user, propertyKeys(before, user))) };
}

/** What the sandbox would have done to users, against MongoDB as it is. */
export async function userChanges(repo: Repository, overlay: Overlay): Promise<SimulatedUserChange[]> {
  const changes: SimulatedUserChange[] = [];
  const before = new Map((await repo.users.byOids([...overlay.users.keys()])).map((u) => [u.oid, u]));
  for (const [oid, after] of overlay.users) {
    const was = before.get(oid);
    if (!after && !was) continue;
    if (!after) changes.push({ oid, name: was!.name, change: 'delete', deltas: [] });
    else if (!was) changes.push(addedUser(after));
    else {
      const deltas = redact(diffUserProperties(was, after, propertyKeys(was, after)));
      if (deltas.length > 0) changes.push({ oid, name: after.name, change: 'modify', deltas });
    }
  }
  return changes;
}

/** The deps of a simulation: the sandbox repository over `overlay`, connectors that record, workflows that queue. */
export function simulationDeps(deps: SyncDeps, overlay: Overlay, record: (op: SimulatedAccountOperation) => void, handed: HandedWork[], options: SandboxOptions = {}): SyncDeps {
  return {
    ...deps,
    repo: sandboxRepository(deps.repo, overlay, options),
    connectors: recordingConnectors(deps, record),
    workflows: simulatedWorkflows(deps.workflows, handed),
  };
}

/** Work handed to workflows at most this deep (a deletion's provisioning that hands on again...). */
const HANDED_ROUNDS = 5;

/** What the workflows the step handed work to would do, done in the sandbox after it. */
async function doHandedWork(simulated: SyncDeps, handed: HandedWork[]): Promise<void> {
  for (let round = 0; round < HANDED_ROUNDS && handed.length > 0; round++) {
    for (const work of handed.splice(0)) {
      if (work.workflow === 'deleteUser') {
        // deleteUser goes step after step until the user is gone (a step whose deletes must wait is as far as it gets).
        for (let step = 0; step < 3; step++) {
          const done = await userDeletionStep(simulated, { userOid: work.input.userOid, channel: work.input.channel ?? 'user' });
          if (done.state === 'deleted' || done.waitingFor.length > 0) break;
        }
      } else if (work.workflow === 'provisionUser') await provisionUser(simulated, provisionUserInputSchema.parse(work.input));
      else await provisionRole(simulated, provisionRoleInputSchema.parse(work.input));
    }
  }
}

/** What a simulated step would have written: its overlay, and the account operations it would have sent. */
export interface SimulatedStep<T> {
  result: T | null;
  /** The step would fail (not for an outage): why. */
  error?: string;
  users: SimulatedUserChange[];
  accounts: SimulatedAccountOperation[];
  /** The sandbox the step ran in, to read what it left. */
  deps: SyncDeps;
}

/**
 * Runs `step` as it would run, over the sandbox: the resource and MongoDB are read, nothing is written.
 * An outage is thrown (the simulation waits as the real run would); another error is the step's. `users`
 * are every user the overlay changed, against MongoDB.
 */
export async function simulateStep<T>(deps: SyncDeps, step: (simulated: SyncDeps) => Promise<T>, options: SandboxOptions & { overlay?: Overlay } = {}): Promise<SimulatedStep<T>> {
  // Steps given one overlay go on from what the earlier ones would have written (a simulated apply's).
  const overlay = options.overlay ?? emptyOverlay();
  const accounts: SimulatedAccountOperation[] = [];
  const handed: HandedWork[] = [];
  const simulated = simulationDeps(deps, overlay, (op) => accounts.push(op), handed, options);
  let result: T | null = null;
  let error: string | undefined;
  try {
    result = await step(simulated);
    await doHandedWork(simulated, handed);
  } catch (e) {
    if (isOutage(e)) throw e;
    error = e instanceof Error ? e.message : String(e);
  }
  return { result, ...(error ? { error } : {}), users: await userChanges(deps.repo, overlay), accounts, deps: simulated };
}

/** What the routine would do with the change, as the change's simulation item. */
export async function simulateChange(deps: SyncDeps, change: ResourceChange, options: SandboxOptions & { workflowId?: string } = {}): Promise<SimulationItem> {
  const step = await simulateStep(deps, (simulated) => synchronizeChange(simulated, change, options.workflowId), options);
  const outcome: ChangeOutcome | null = step.result;
  const shadowAfter = outcome?.shadowOid ? await step.deps.repo.shadows.get(outcome.shadowOid) : null;
  const item: Omit<SimulationItem, 'kinds'> = {
    object: outcome?.account ?? changeAccountName(change),
    ...(outcome?.resource ? { resource: outcome.resource } : {}),
    ...(outcome?.situation ? { situation: { from: outcome.situation, to: shadowAfter?.situation ?? null } } : {}),
    reaction: outcome?.actions ?? [],
    users: step.users,
    accounts: step.accounts,
    ...(step.error ? { error: step.error } : {}),
  };
  return { ...item, kinds: kindsOf(item) };
}
