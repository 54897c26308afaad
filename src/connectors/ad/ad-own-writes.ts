/**
 * Tally's own writes to Active Directory, recognised when live sync reads them back. AD's change
 * tracking records no writer, so after each write the object's new uSNChanged (its tombstone's, after a
 * delete) is read back and remembered under its objectGUID: a change whose uSNChanged is exactly the one
 * Tally's write gave is Tally's own. Any later write, someone else's, gives the object another number.
 * Kept in the worker's memory: a write made by another worker, or before a restart, comes back as a
 * change that finds nothing to do.
 */
export class AdOwnWrites {
  private readonly usnByGuid = new Map<string, number>();

  record(objectGuid: string, usnChanged: number): void {
    this.usnByGuid.set(objectGuid.toLowerCase(), usnChanged);
  }

  isOwn(objectGuid: string | undefined, usnChanged: number): boolean {
    return objectGuid !== undefined && this.usnByGuid.get(objectGuid.toLowerCase()) === usnChanged;
  }
}
