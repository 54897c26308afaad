import { accountConstructionSchema, objectTypeSchema } from '../../../src/schema/config';
import { enforcedAttributes, touchesEnforced } from '../../../src/model';

const objectType = objectTypeSchema.parse({
  kind: 'account',
  intent: 'default',
  objectClass: 'inetOrgPerson',
  attribute: [
    { ref: 'ri:cn', outbound: { strength: 'strong', source: [{ path: '$user/fullName' }] } },
    { ref: 'sn', outbound: { source: [{ path: '$user/familyName' }] } },
    { ref: 'employeeType', tolerant: false },
    { ref: 'description', outbound: { expression: { value: 'x' } } },
  ],
  activation: { administrativeStatus: { attribute: 'businessCategory', disabledValue: 'disabled', outbound: { strength: 'strong' } } },
});
const resource = { oid: 'ldap-oid', name: 'LDAP' };
const construction = (fields: Record<string, unknown>) => accountConstructionSchema.parse(fields);
const strongTitle = { ref: 'title', outbound: { strength: 'strong', expression: { value: 'Pirate' } } };

test("strong mappings, non-tolerant attributes and a strong status are enforced; normal mappings are not", () => {
  expect([...enforcedAttributes({ resource, objectType, constructions: [] })].sort()).toEqual(['businesscategory', 'cn', 'employeetype']);
});

test("the owner's constructions on this resource and type add their strong attributes; others' do not", () => {
  const constructions = [
    construction({ resourceRef: 'LDAP', attribute: [strongTitle] }),
    construction({ resourceRef: 'ldap-oid', attribute: [{ ref: 'l', outbound: { expression: { value: 'Tortuga' } } }] }),
    construction({ resourceRef: 'other-oid', attribute: [{ ...strongTitle, ref: 'o' }] }),
    construction({ resourceRef: 'ldap-oid', intent: 'admin', attribute: [{ ...strongTitle, ref: 'ou' }] }),
  ];
  const enforced = enforcedAttributes({ resource, objectType, constructions });
  expect(enforced.has('title')).toBe(true);
  expect(['l', 'o', 'ou'].filter((a) => enforced.has(a))).toEqual([]);
});

test('a change touches what is enforced by attribute name in any case or prefix, and always by memberships', () => {
  const enforced = enforcedAttributes({ resource, objectType, constructions: [] });
  expect(touchesEnforced(['CN'], enforced)).toBe(true);
  expect(touchesEnforced(['ri:employeeType'], enforced)).toBe(true);
  expect(touchesEnforced(['association/group'], enforced)).toBe(true);
  expect(touchesEnforced(['description', 'sn'], enforced)).toBe(false);
  expect(touchesEnforced([], enforced)).toBe(false);
});
