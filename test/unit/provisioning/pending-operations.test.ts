import { enqueueOperation, type RequestedOperation } from '../../../src/provisioning/pending-operations';
import type { PendingOperation, ShadowDoc } from '../../../src/schema/objects';

type QueueShadow = Pick<ShadowDoc, 'pendingOperations' | 'exists' | 'primaryIdentifier'>;

let ids = 0;
const meta = () => ({ id: `op-${++ids}`, now: '2026-01-01T00:00:00.000Z', channel: 'user' as const });
const enqueue = (shadow: QueueShadow, requested: RequestedOperation) => enqueueOperation(shadow, requested, meta());

const neverCreated: QueueShadow = { pendingOperations: [], exists: false, primaryIdentifier: null };
const existing: QueueShadow = { pendingOperations: [], exists: true, primaryIdentifier: 'uuid-1' };
const withQueue = (shadow: QueueShadow, pendingOperations: PendingOperation[]): QueueShadow => ({ ...shadow, pendingOperations });

describe('enqueueOperation', () => {
  test('an add on a new shadow waits as one add holding the whole account', () => {
    const queued = enqueue(neverCreated, { type: 'add', attributes: { cn: ['Jack'] } });
    expect(queued).toMatchObject({ dropShadow: false, dead: false });
    expect(queued.pendingOperations).toEqual([
      expect.objectContaining({ type: 'add', attributes: { cn: ['Jack'] }, attemptNumber: 0, result: { status: 'in-progress' }, channel: 'user' }),
    ]);
  });

  test('a second add, or an add of an existing account, changes nothing', () => {
    const once = enqueue(neverCreated, { type: 'add', attributes: { cn: ['A'] } }).pendingOperations;
    expect(enqueue(withQueue(neverCreated, once), { type: 'add', attributes: { cn: ['B'] } }).pendingOperations).toBe(once);
    expect(enqueue(existing, { type: 'add', attributes: { cn: ['B'] } }).pendingOperations).toEqual([]);
  });

  test('modifies of an account whose add is pending merge into that add: one add with the final values', () => {
    let shadow = withQueue(neverCreated, enqueue(neverCreated, { type: 'add', attributes: { cn: ['Jack'], title: ['Sailor'] } }).pendingOperations);
    for (const cn of ['Jack S', 'Jack Sparrow', 'Captain Jack Sparrow']) {
      shadow = withQueue(shadow, enqueue(shadow, { type: 'modify', delta: [{ path: 'cn', replace: [cn] }] }).pendingOperations);
    }
    shadow = withQueue(shadow, enqueue(shadow, { type: 'modify', delta: [{ path: 'title', add: ['Captain'], delete: ['Sailor'] }] }).pendingOperations);
    expect(shadow.pendingOperations).toHaveLength(1);
    expect(shadow.pendingOperations[0]).toMatchObject({ type: 'add', attributes: { cn: ['Captain Jack Sparrow'], title: ['Captain'] } });
  });

  test('a rename of an account whose add is pending names the add instead of becoming an attribute', () => {
    const shadow = withQueue(neverCreated, enqueue(neverCreated, { type: 'add', attributes: { cn: ['Jack'] } }).pendingOperations);
    const queued = enqueue(shadow, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }, { path: '__NAME__', replace: ['uid=captain,ou=people'] }] });
    expect(queued.renameTo).toBe('uid=captain,ou=people');
    expect(queued.pendingOperations).toEqual([expect.objectContaining({ type: 'add', attributes: { cn: ['Jack Sparrow'] } })]);
    expect(enqueue(shadow, { type: 'modify', delta: [{ path: 'cn', replace: ['J'] }] }).renameTo).toBeUndefined();
  });

  test('a modify is not merged into an add the resource is executing right now', () => {
    const [add] = enqueue(neverCreated, { type: 'add', attributes: { cn: ['Jack'] } }).pendingOperations;
    const executing = withQueue(neverCreated, [{ ...add, executing: true }]);
    const queued = enqueue(executing, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }] });
    expect(queued.pendingOperations.map((op) => op.type)).toEqual(['add', 'modify']);
    expect(queued.pendingOperations[0].attributes).toEqual({ cn: ['Jack'] });
  });

  test('a modify asked for again while the first one waits, claimed or not, is queued once', () => {
    const first = enqueue(existing, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }] }).pendingOperations;
    const claimed = withQueue(existing, [{ ...first[0], executing: true, executingUntil: '2026-01-01T00:00:30.000Z' }]);
    expect(enqueue(claimed, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }] }).pendingOperations).toBe(claimed.pendingOperations);
    const partly = enqueue(claimed, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }, { path: 'title', replace: ['Captain'] }] });
    expect(partly.pendingOperations.map((op) => op.delta)).toEqual([[{ path: 'cn', replace: ['Jack Sparrow'] }], [{ path: 'title', replace: ['Captain'] }]]);
    // Another value of the same attribute is a change of its own.
    expect(enqueue(claimed, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack'] }] }).pendingOperations).toHaveLength(2);
  });

  test('a modify of an existing account waits as its delta', () => {
    const queued = enqueue(existing, { type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }] });
    expect(queued.pendingOperations).toEqual([expect.objectContaining({ type: 'modify', delta: [{ path: 'cn', replace: ['Jack Sparrow'] }] })]);
    expect(queued.dead).toBe(false);
  });

  test('a delete of an account never created drops the pending add and the shadow', () => {
    const shadow = withQueue(neverCreated, enqueue(neverCreated, { type: 'add', attributes: { cn: ['Jack'] } }).pendingOperations);
    expect(enqueue(shadow, { type: 'delete' })).toEqual({ pendingOperations: [], dropShadow: true, dead: true });
  });

  test('a delete of an existing account replaces waiting modifies and marks the shadow dead', () => {
    const shadow = withQueue(existing, enqueue(existing, { type: 'modify', delta: [{ path: 'cn', replace: ['X'] }] }).pendingOperations);
    const queued = enqueue(shadow, { type: 'delete' });
    expect(queued).toMatchObject({ dropShadow: false, dead: true });
    expect(queued.pendingOperations.map((op) => op.type)).toEqual(['delete']);
  });

  test('after a delete, further modifies and deletes change nothing and the shadow stays dead', () => {
    const shadow = withQueue(existing, enqueue(existing, { type: 'delete' }).pendingOperations);
    const modified = enqueue(shadow, { type: 'modify', delta: [{ path: 'cn', replace: ['X'] }] });
    expect(modified).toEqual({ pendingOperations: shadow.pendingOperations, dropShadow: false, dead: true });
    expect(enqueue(shadow, { type: 'delete' }).pendingOperations).toBe(shadow.pendingOperations);
  });
});
