/**
 * Where a Role or a User file writes constructions: a role's inducements and its own assignments (a role
 * projected to a group of its own), a user's direct account constructions. Paths are into the parsed object.
 */
import type { AccountConstruction, Assignment, ConfigObject, Inducement } from '../schema/config';

export interface PlacedConstruction {
  construction: AccountConstruction;
  path: Array<string | number>;
}

export function constructionsOf(object: ConfigObject): PlacedConstruction[] {
  const placed: PlacedConstruction[] = [];
  const assignments = (list: readonly Assignment[]) =>
    list.forEach((a, i) => a.accountConstruction && placed.push({ construction: a.accountConstruction, path: ['assignment', i, 'accountConstruction'] }));
  if (object.kind === 'Role') {
    object.inducement.forEach((d, i) => d.construction && placed.push({ construction: d.construction, path: ['inducement', i, 'construction'] }));
    assignments(object.assignment ?? []);
  }
  if (object.kind === 'User') assignments(object.assignment);
  return placed;
}

/** The object with each of its constructions replaced by what `change` makes of it. */
export function withConstructions<T extends ConfigObject>(object: T, change: (construction: AccountConstruction) => AccountConstruction): T {
  const inAssignment = (a: Assignment): Assignment => (a.accountConstruction ? { accountConstruction: change(a.accountConstruction) } : a);
  const inInducement = (d: Inducement): Inducement => (d.construction ? { ...d, construction: change(d.construction) } : d);
  if (object.kind === 'Role') {
    return { ...object, inducement: object.inducement.map(inInducement), ...(object.assignment ? { assignment: object.assignment.map(inAssignment) } : {}) };
  }
  if (object.kind === 'User') return { ...object, assignment: object.assignment.map(inAssignment) };
  return object;
}
