/**
 * Tally's own writes to Active Directory, recognised when live sync reads them back. AD's change
 * tracking records no writer, but it numbers every write: each write to an object gives it a new
 * uSNChanged, and gives the attributes it wrote that number as their local USN (replPropertyMetaData).
 * After each write the number is read back (the tombstone's, after a delete) and remembered under the
 * objectGUID. A change is Tally's own when the object's uSNChanged is one of Tally's numbers and every
 * attribute written since the position was written by Tally: someone's write just before Tally's is
 * still read. Kept in the worker's memory: a write made by another worker, or before a restart, comes
 * back as a change that finds nothing to do.
 */

/** Tally's numbers kept per object: more writes to one object between two polls read back as a change. */
const KEPT_PER_OBJECT = 32;

export class AdOwnWrites {
  private readonly usnsByGuid = new Map<string, number[]>();

  record(objectGuid: string, usnChanged: number): void {
    const key = objectGuid.toLowerCase();
    const usns = [...(this.usnsByGuid.get(key) ?? []), usnChanged].slice(-KEPT_PER_OBJECT);
    this.usnsByGuid.set(key, usns);
  }

  /** Whether the object's last write, `usnChanged`, was Tally's. */
  wroteLast(objectGuid: string | undefined, usnChanged: number): boolean {
    return objectGuid !== undefined && (this.usnsByGuid.get(objectGuid.toLowerCase()) ?? []).includes(usnChanged);
  }

  /** Whether Tally made every one of these writes to the object (the local USNs of its attributes). */
  wroteAll(objectGuid: string, usns: readonly number[]): boolean {
    const own = this.usnsByGuid.get(objectGuid.toLowerCase()) ?? [];
    return usns.every((usn) => own.includes(usn));
  }
}
