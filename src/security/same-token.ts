/** Whether a bearer token a request gave is the expected one, compared in constant time. */
import { timingSafeEqual } from 'node:crypto';

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
