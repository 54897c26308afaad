import { backoffDelayMs } from '../../../src/workflows/backoff';

describe('backoffDelayMs', () => {
  const policy = { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2000 };

  test('starts at the initial interval and grows by the coefficient up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelayMs(policy, attempt))).toEqual([500, 1000, 2000, 2000, 2000, 2000]);
  });

  test('attempt 0 (nothing tried yet) waits the initial interval', () => {
    expect(backoffDelayMs(policy, 0)).toBe(500);
  });

  test('a coefficient of 1 keeps a constant interval', () => {
    expect([1, 5, 50].map((a) => backoffDelayMs({ ...policy, backoffCoefficient: 1 }, a))).toEqual([500, 500, 500]);
  });

  test('huge attempt numbers stay capped and finite', () => {
    expect(backoffDelayMs({ initialIntervalMs: 30_000, backoffCoefficient: 2, maximumIntervalMs: 1_800_000 }, 10_000)).toBe(1_800_000);
  });
});
