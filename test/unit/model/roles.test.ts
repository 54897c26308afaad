import { resolveAssignments, RoleResolutionError } from '../../../src/model/roles';
import { AD_OID, LDAP_OID, role } from './fixtures';

const sailor = role({ oid: 'role-sailor', name: 'Sailor', inducement: [{ construction: { resourceRef: LDAP_OID } }] });
const pirate = role({
  oid: 'role-pirate',
  name: 'Pirate',
  inducement: [
    { targetRef: { oid: 'role-sailor' } },
    { construction: { resourceRef: AD_OID, attribute: [{ ref: 'ri:description', outbound: { expression: { value: 'Pirate' } } }] } },
    { focusMappings: { mapping: [{ expression: { value: 'pirate' }, target: { path: 'extension/kind' } }] } },
  ],
});
const captain = role({ name: 'Captain', inducement: [{ targetRef: 'Pirate' }, { targetRef: 'Sailor' }] });

describe('roles', () => {
  test('direct construction, role constructions, included roles transitively, focus mappings', () => {
    const resolved = resolveAssignments(
      [{ accountConstruction: { resourceRef: 'CSV', kind: 'account', intent: 'default', attribute: [] } }, { targetRef: 'Captain' }],
      [sailor, pirate, captain],
    );
    expect(resolved.constructions.map((c) => [c.construction.resourceRef, c.reason])).toEqual([
      ['CSV', 'assigned directly'],
      [LDAP_OID, 'induced by role Sailor (via Captain -> Pirate)'],
      [AD_OID, 'induced by role Pirate (via Captain)'],
    ]);
    expect(resolved.roles).toEqual(['Captain', 'Pirate', 'Sailor']);
    expect(resolved.focusMappings.map((f) => f.role)).toEqual(['Pirate']);
  });

  test('roles are referenced by oid or name', () => {
    expect(resolveAssignments([{ targetRef: 'role-pirate' }], [sailor, pirate]).roles).toEqual(['Pirate', 'Sailor']);
    expect(resolveAssignments([{ targetRef: 'Pirate' }], [sailor, pirate]).roles).toEqual(['Pirate', 'Sailor']);
  });

  test('a cycle is an error naming it', () => {
    const a = role({ name: 'A', inducement: [{ targetRef: 'B' }] });
    const b = role({ name: 'B', inducement: [{ targetRef: 'C' }] });
    const c = role({ name: 'C', inducement: [{ targetRef: 'A' }] });
    expect(() => resolveAssignments([{ targetRef: 'A' }], [a, b, c])).toThrow(new RoleResolutionError('role inclusion cycle: A -> B -> C -> A'));
    const self = role({ name: 'Self', inducement: [{ targetRef: 'Self' }] });
    expect(() => resolveAssignments([{ targetRef: 'Self' }], [self])).toThrow('role inclusion cycle: Self -> Self');
  });

  test('an unknown role is an error naming it', () => {
    expect(() => resolveAssignments([{ targetRef: 'Ghost' }], [])).toThrow("the user is assigned unknown role 'Ghost'");
    const broken = role({ name: 'Broken', inducement: [{ targetRef: 'Ghost' }] });
    expect(() => resolveAssignments([{ targetRef: 'Broken' }], [broken])).toThrow("role Broken includes unknown role 'Ghost'");
  });
});
