/** Objects written without an oid get one derived from kind and name, so re-applying a file keeps it. */
import { createHash } from 'node:crypto';

export function derivedOid(kind: string, name: string): string {
  const h = createHash('sha256').update(`tally:${kind}:${name}`).digest();
  // Shaped as a version-5-style UUID (name-based), so it looks and sorts like any other oid.
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
