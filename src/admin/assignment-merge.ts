/**
 * How `tally apply` of a User file changes the user's assignments: a merge, not a replacement.
 * - the file's assignments are added (one the user has already, however referenced, is not doubled);
 * - assignments made elsewhere (CLI, API, reactions) are kept;
 * - assignments the file gave at its previous apply (`configAssignment`) and no longer lists are removed.
 */
import type { Assignment } from '../schema/config';
import type { UserDoc } from '../schema/objects';

/** The oid an object reference (name or oid) stands for, as far as known; the reference itself otherwise. */
export type RefResolver = (kind: 'Role' | 'Resource', ref: string) => string;

/** One key per assignment, whichever way (name or oid) it refers to its role or resource. */
export function assignmentKey(assignment: Assignment, resolve: RefResolver): string {
  if (assignment.targetRef !== undefined) return JSON.stringify(['role', resolve('Role', assignment.targetRef)]);
  const { resourceRef, ...rest } = assignment.accountConstruction!;
  return JSON.stringify(['account', resolve('Resource', resourceRef), rest.kind, rest.intent, rest.attribute]);
}

/** Every role and resource reference the merge compares. */
export function assignmentRefs(assignments: Assignment[]): Array<{ kind: 'Role' | 'Resource'; ref: string }> {
  return assignments.map((a) =>
    a.targetRef !== undefined ? { kind: 'Role' as const, ref: a.targetRef } : { kind: 'Resource' as const, ref: a.accountConstruction!.resourceRef },
  );
}

export function mergeFileAssignments(
  current: Pick<UserDoc, 'assignment' | 'configAssignment'>,
  fromFile: Assignment[],
  resolve: RefResolver,
): { assignment: Assignment[]; configAssignment: Assignment[] | undefined } {
  const key = (a: Assignment) => assignmentKey(a, resolve);
  const listed = new Set(fromFile.map(key));
  const dropped = new Set((current.configAssignment ?? []).map(key).filter((k) => !listed.has(k)));
  const kept = current.assignment.filter((a) => !dropped.has(key(a)));
  const have = new Set(kept.map(key));
  const added = fromFile.filter((a) => {
    const k = key(a);
    if (have.has(k)) return false;
    have.add(k);
    return true;
  });
  return { assignment: [...kept, ...added], configAssignment: fromFile.length > 0 ? fromFile : undefined };
}
