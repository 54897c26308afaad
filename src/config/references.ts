/**
 * Where a configuration object points to other objects. Paths are as zod reports them (list indices
 * included), into the object as written in the file.
 */
import type { AccountConstruction, Assignment, ConfigObject, TemplateMapping } from '../schema/config';
import { valueAt, type PathSegment } from './value-path';

export type ConfigKind = ConfigObject['kind'];

export interface Reference {
  path: PathSegment[];
  kind: ConfigKind;
  ref: string;
  /** For account constructions: which object type of the resource the account must have. */
  objectType?: { kind: string; intent: string };
  /** For account constructions: the associations (by ref) it gives memberships of. */
  associations?: string[];
}

/** Schemas accept both names for a construction; the path must use the one written in the file. */
function constructionKey(raw: unknown, path: readonly PathSegment[]): string {
  const item = valueAt(raw, path);
  return item && typeof item === 'object' && 'accountConstruction' in item ? 'accountConstruction' : 'construction';
}

function constructionRefs(construction: AccountConstruction, path: PathSegment[]): Reference[] {
  return [
    {
      path: [...path, 'resourceRef'],
      kind: 'Resource',
      ref: construction.resourceRef,
      objectType: { kind: construction.kind, intent: construction.intent },
      ...(construction.association?.length ? { associations: construction.association.map((a) => a.ref) } : {}),
    },
  ];
}

const refText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { oid?: unknown }).oid === 'string'
      ? (v as { oid: string }).oid
      : undefined;

/** Template mappings may add assignments as literal values: `value: { assignment: { accountConstruction: ... } }`. */
function mappingRefs(mappings: readonly TemplateMapping[], path: PathSegment[]): Reference[] {
  const refs: Reference[] = [];
  mappings.forEach((m, i) => {
    const value = m.expression?.value;
    if (!value || typeof value !== 'object' || !('assignment' in value)) return;
    const assignments = (value as { assignment: unknown }).assignment;
    const list = Array.isArray(assignments) ? assignments : [assignments];
    list.forEach((a, j) => {
      if (!a || typeof a !== 'object') return;
      const at: PathSegment[] = [...path, i, 'expression', 'value', 'assignment', ...(Array.isArray(assignments) ? [j] : [])];
      const target = refText((a as Record<string, unknown>).targetRef);
      if (target) refs.push({ path: [...at, 'targetRef'], kind: 'Role', ref: target });
      for (const key of ['accountConstruction', 'construction']) {
        const c = (a as Record<string, unknown>)[key];
        const resource = c && typeof c === 'object' ? refText((c as Record<string, unknown>).resourceRef) : undefined;
        if (!resource) continue;
        const cc = c as { kind?: unknown; intent?: unknown };
        refs.push({
          path: [...at, key, 'resourceRef'],
          kind: 'Resource',
          ref: resource,
          objectType: {
            kind: typeof cc.kind === 'string' ? cc.kind : 'account',
            intent: typeof cc.intent === 'string' ? cc.intent : 'default',
          },
        });
      }
    });
  });
  return refs;
}

/** A user's or a role's own assignments: the roles and the resources (and object types) they name. */
function assignmentRefs(assignments: readonly Assignment[], raw: unknown): Reference[] {
  return assignments.flatMap((assignment, i) => {
    const at: PathSegment[] = ['assignment', i];
    if (assignment.targetRef) return [{ path: [...at, 'targetRef'], kind: 'Role' as const, ref: assignment.targetRef }];
    return assignment.accountConstruction ? constructionRefs(assignment.accountConstruction, [...at, constructionKey(raw, at)]) : [];
  });
}

export function referencesOf(object: ConfigObject, raw: unknown): Reference[] {
  const refs: Reference[] = [];
  switch (object.kind) {
    case 'Resource':
      object.synchronization.forEach((sync, i) => {
        if (sync.objectTemplateRef)
          refs.push({ path: ['synchronization', i, 'objectTemplateRef'], kind: 'ObjectTemplate', ref: sync.objectTemplateRef });
        sync.reaction.forEach((reaction, j) =>
          reaction.action.forEach((action, k) => {
            if (action.objectTemplateRef)
              refs.push({
                path: ['synchronization', i, 'reaction', j, 'action', k, 'objectTemplateRef'],
                kind: 'ObjectTemplate',
                ref: action.objectTemplateRef,
              });
          }),
        );
      });
      break;
    case 'ObjectTemplate':
      refs.push(...mappingRefs(object.mapping, ['mapping']));
      break;
    case 'Role':
      object.inducement.forEach((inducement, i) => {
        const at: PathSegment[] = ['inducement', i];
        if (inducement.targetRef) refs.push({ path: [...at, 'targetRef'], kind: 'Role', ref: inducement.targetRef });
        if (inducement.construction)
          refs.push(...constructionRefs(inducement.construction, [...at, constructionKey(raw, at)]));
        if (inducement.focusMappings)
          refs.push(...mappingRefs(inducement.focusMappings.mapping, [...at, 'focusMappings', 'mapping']));
      });
      refs.push(...assignmentRefs(object.assignment ?? [], raw));
      break;
    case 'User':
      if (object.templateRef) refs.push({ path: ['templateRef'], kind: 'ObjectTemplate', ref: object.templateRef });
      refs.push(...assignmentRefs(object.assignment, raw));
      break;
  }
  return refs;
}
