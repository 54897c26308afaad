import { patched } from '../../../src/sync/simulation/sandbox-repository';

describe('a patch applied in a simulation\'s sandbox, as MongoDB would apply it', () => {
  test('dotted paths set nested fields and array elements, unset removes, the version goes up', () => {
    const shadow = { version: 3, metadata: { createTimestamp: 'a' }, pendingOperations: [{ id: 'op1', executing: false }], exists: true };
    const next = patched(shadow, { set: { 'metadata.modifyTimestamp': 'b', 'pendingOperations.0.executing': true, situation: 'linked' }, unset: ['exists'] });
    expect(next).toEqual({ version: 4, metadata: { createTimestamp: 'a', modifyTimestamp: 'b' }, pendingOperations: [{ id: 'op1', executing: true }], situation: 'linked' });
    // The stored document is left as it was.
    expect(shadow).toEqual({ version: 3, metadata: { createTimestamp: 'a' }, pendingOperations: [{ id: 'op1', executing: false }], exists: true });
  });
});
