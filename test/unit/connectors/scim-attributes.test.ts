/** A SCIM User's JSON as Tally's flat attributes, and deltas as PATCH operations (pure). */
import { applyOperations, newUser, patchOperations, toAttributes } from '../../../src/connectors/scim/scim-attributes';
import { ConnectorError } from '../../../src/connectors/connector-errors';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const jack = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: 'j1',
  meta: { version: 'W/"3"' },
  userName: 'jack',
  active: true,
  name: { givenName: 'Jack', familyName: 'Sparrow' },
  emails: [{ value: 'jack@example.com', type: 'work' }, { value: 'captain@example.com' }],
  [ENTERPRISE]: { department: 'Sea', manager: { value: 'b2', displayName: 'Barbossa' } },
};

describe('SCIM attributes', () => {
  it('reads a User flat: sub-attributes by their path, multi-valued ones by their values, the extension by its own names, active as __ENABLE__', () => {
    expect(toAttributes(jack, true)).toEqual({
      userName: ['jack'],
      __ENABLE__: ['TRUE'],
      'name.givenName': ['Jack'],
      'name.familyName': ['Sparrow'],
      emails: ['jack@example.com', 'captain@example.com'],
      department: ['Sea'],
      manager: ['b2'],
    });
    expect(toAttributes(jack, false)).not.toHaveProperty('department');
    expect(toAttributes(jack, true, ['department', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager'])).toEqual({ userName: ['jack'], department: ['Sea'], manager: ['b2'] });
  });

  it('builds a new User with the schemas it uses', () => {
    expect(newUser('will', { 'name.givenName': ['Will'], employeeNumber: ['7'], __ENABLE__: ['FALSE'], password: ['s3cret'] }, true)).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: 'will',
      name: { givenName: 'Will' },
      [ENTERPRISE]: { employeeNumber: '7' },
      active: false,
      password: 's3cret',
    });
  });

  it('makes PATCH operations of deltas: value paths for the values of a multi-valued attribute, nothing for what is so already', () => {
    expect(
      patchOperations(
        jack,
        [
          { path: 'emails', add: ['jack@example.com', 'new@example.com'], delete: ['captain@example.com', 'absent@example.com'] },
          { path: 'department', replace: ['Land'] },
          { path: 'name.givenName', replace: ['Jack'] },
          { path: '__ENABLE__', replace: ['FALSE'] },
          { path: 'name.familyName', replace: [] },
          { path: '__NAME__', replace: ['captain'] },
        ],
        true,
      ),
    ).toEqual([
      { op: 'add', path: 'emails', value: [{ value: 'new@example.com' }] },
      { op: 'remove', path: 'emails[value eq "captain@example.com"]' },
      { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Land' },
      { op: 'replace', path: 'active', value: false },
      { op: 'remove', path: 'name.familyName' },
      { op: 'replace', path: 'userName', value: 'captain' },
    ]);
    expect(patchOperations(jack, [{ path: 'emails', replace: ['captain@example.com', 'jack@example.com'] }], true)).toEqual([]);
    expect(() => patchOperations(jack, [{ path: 'title', replace: ['a', 'b'] }], true)).toThrow(ConnectorError);
  });

  it('applies operations as a service would, whatever the letter case of op (the PUT of a service without PATCH)', () => {
    const applied = applyOperations(jack, [
      { op: 'Add' as 'add', path: 'emails', value: [{ value: 'jack@example.com' }, { value: 'new@example.com' }] },
      { op: 'REMOVE' as 'remove', path: 'emails[value eq "captain@example.com"]' },
      { op: 'Replace' as 'replace', path: `${ENTERPRISE}:department`, value: 'Land' },
      { op: 'remove', path: 'name.familyName' },
    ]);
    expect(applied.emails).toEqual([{ value: 'jack@example.com', type: 'work' }, { value: 'new@example.com' }]);
    expect(applied[ENTERPRISE]).toEqual({ department: 'Land', manager: { value: 'b2', displayName: 'Barbossa' } });
    expect(applied.name).toEqual({ givenName: 'Jack' });
    expect(jack.emails).toHaveLength(2); // the original stays as it was
  });
});
