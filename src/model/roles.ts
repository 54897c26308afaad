/**
 * Resolving a user's assignments into account constructions and focus mappings: direct account
 * constructions, roles' inducement constructions, roles included through inducement targetRef
 * (transitively) and role focus mappings. Roles are referenced by oid or name. A role included
 * twice along different paths contributes once per assignment; a cycle is an error naming it.
 */
import type { AccountConstruction, Assignment, RoleConfig, TemplateMapping } from '../schema/config';

export class RoleResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleResolutionError';
  }
}

export interface ResolvedConstruction {
  construction: AccountConstruction;
  /** The user's assignment it comes from. */
  assignment: Assignment;
  /** Role names from the assigned role down to the inducing one; [] for a direct construction. */
  rolePath: string[];
  /** Human readable: `assigned directly`, `induced by role Pirate`, `induced by role Sailor (via Pirate)`. */
  reason: string;
}

export interface ResolvedFocusMapping {
  mapping: TemplateMapping;
  role: string;
}

export interface ResolvedAssignments {
  constructions: ResolvedConstruction[];
  focusMappings: ResolvedFocusMapping[];
  /** Names of every role the user has, directly or included. */
  roles: string[];
}

export type RoleLookup = (ref: string) => RoleConfig | undefined;

export function roleLookup(roles: readonly RoleConfig[]): RoleLookup {
  const byOid = new Map<string, RoleConfig>();
  const byName = new Map<string, RoleConfig>();
  for (const role of roles) {
    if (role.oid) byOid.set(role.oid, role);
    byName.set(role.name, role);
  }
  return (ref) => byOid.get(ref) ?? byName.get(ref);
}

function reasonFor(rolePath: string[]): string {
  if (rolePath.length === 0) return 'assigned directly';
  const inducing = rolePath[rolePath.length - 1]!;
  if (rolePath.length === 1) return `induced by role ${inducing}`;
  return `induced by role ${inducing} (via ${rolePath.slice(0, -1).join(' -> ')})`;
}

export function resolveAssignments(assignments: readonly Assignment[], roles: readonly RoleConfig[] | RoleLookup): ResolvedAssignments {
  const lookup = typeof roles === 'function' ? roles : roleLookup(roles);
  const constructions: ResolvedConstruction[] = [];
  const focusMappings: ResolvedFocusMapping[] = [];
  const allRoles = new Set<string>();
  const rolesWithFocusMappings = new Set<string>();

  for (const assignment of assignments) {
    if (assignment.accountConstruction) {
      constructions.push({ construction: assignment.accountConstruction, assignment, rolePath: [], reason: reasonFor([]) });
      continue;
    }
    const visited = new Set<RoleConfig>();
    const visit = (ref: string, stack: RoleConfig[]): void => {
      const role = lookup(ref);
      if (!role) {
        const from = stack.length > 0 ? `role ${stack[stack.length - 1]!.name} includes` : 'the user is assigned';
        throw new RoleResolutionError(`${from} unknown role '${ref}'`);
      }
      if (stack.includes(role)) {
        const cycle = [...stack.slice(stack.indexOf(role)), role].map((r) => r.name).join(' -> ');
        throw new RoleResolutionError(`role inclusion cycle: ${cycle}`);
      }
      if (visited.has(role)) return;
      visited.add(role);
      allRoles.add(role.name);
      const path = [...stack, role];
      const rolePath = path.map((r) => r.name);
      for (const inducement of role.inducement) {
        if (inducement.construction) {
          constructions.push({ construction: inducement.construction, assignment, rolePath, reason: reasonFor(rolePath) });
        } else if (inducement.targetRef) {
          visit(inducement.targetRef, path);
        } else if (inducement.focusMappings && !rolesWithFocusMappings.has(role.name)) {
          for (const mapping of inducement.focusMappings.mapping) focusMappings.push({ mapping, role: role.name });
        }
      }
      if (role.inducement.some((i) => i.focusMappings)) rolesWithFocusMappings.add(role.name);
    };
    visit(assignment.targetRef!, []);
  }
  return { constructions, focusMappings, roles: [...allRoles] };
}
