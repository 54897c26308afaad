import { changesWithinRoom, exceededLimits, guardedCountsOf, limitsActive, safetyLimits } from '../../../src/model';
import { resourceSchema } from '../../../src/schema/config';

describe('thresholds', () => {
  test('a resource without safety gets the defaults: 500 deletes, 500 disables, modifications not counted', () => {
    const resource = resourceSchema.parse({ kind: 'Resource', name: 'R', connector: { type: 'postgres', host: 'h', database: 'd', user: 'u', table: 't' }, schemaHandling: {} });
    expect(resource.safety).toEqual({ maxDeletes: 500, maxDisables: 500, maxModifies: 'off' });
    expect(safetyLimits(resource.safety, undefined, 10_000)).toEqual({ deletes: 500, disables: 500, modifies: null });
  });

  test('a share is of the resource\'s accounts; a run\'s own thresholds win; off lifts one', () => {
    expect(safetyLimits({ maxDeletes: '5%', maxDisables: 10, maxModifies: 'off' }, undefined, 2_000)).toEqual({ deletes: 100, disables: 10, modifies: null });
    expect(safetyLimits({ maxDeletes: '5%' }, { maxDeletes: 'off', maxModifies: 3 }, 2_000)).toEqual({ deletes: null, disables: 500, modifies: 3 });
    expect(limitsActive(safetyLimits({ maxDeletes: 'off', maxDisables: 'off' }, undefined, 10))).toBe(false);
  });

  test('a bad threshold is refused with what was expected', () => {
    const parsed = resourceSchema.safeParse({ kind: 'Resource', name: 'R', connector: { type: 'postgres', host: 'h', database: 'd', user: 'u', table: 't' }, schemaHandling: {}, safety: { maxDeletes: 'many' } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/expected a number, a share such as \\"5%\\", or \\"off\\"/);
  });

  test('only the limited kinds count; passing a limit is said for people', () => {
    const limits = safetyLimits({ maxDeletes: 1, maxDisables: 'off', maxModifies: 'off' }, undefined, 0);
    const counts = guardedCountsOf(limits, [{ operation: 'delete' }, { operation: 'delete' }, { operation: 'disable' }, { operation: 'add' }]);
    expect(counts).toEqual({ deletes: 2, disables: 0, modifies: 0 });
    expect(exceededLimits(limits, counts)).toEqual(['2 deletes > maxDeletes 1']);
    expect(exceededLimits(limits, { deletes: 1, disables: 9, modifies: 9 })).toEqual([]);
  });

  it('lets a poll apply, without simulating, as many changes as the room left holds at their most', () => {
    const limits = safetyLimits({ maxDeletes: 500, maxDisables: 10, maxModifies: 'off' }, undefined, 0);
    // 10 disables allowed, 4 done: 6 more; at up to 2 operations of each kind per change, 3 changes.
    expect(changesWithinRoom(limits, { deletes: 0, disables: 4, modifies: 900 }, 2)).toBe(3);
    expect(changesWithinRoom(limits, { deletes: 0, disables: 9, modifies: 0 }, 2)).toBe(0);
    expect(changesWithinRoom(limits, { deletes: 0, disables: 12, modifies: 0 }, 1)).toBe(0);
    expect(changesWithinRoom(safetyLimits({ maxDeletes: 'off', maxDisables: 'off', maxModifies: 'off' }, undefined, 0), { deletes: 9, disables: 9, modifies: 9 }, 3)).toBe(Infinity);
  });
});
