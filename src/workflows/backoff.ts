export interface BackoffPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** Delay before attempt `attemptNumber + 1`: initial * coefficient^(attempts-1), capped. */
export function backoffDelayMs(policy: BackoffPolicy, attemptNumber: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, attemptNumber - 1));
  return Math.min(policy.maximumIntervalMs, Math.max(1, Math.round(raw)));
}
