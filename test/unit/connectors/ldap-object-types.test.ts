/**
 * The LDAP connector reads and creates accounts under the delineation of the account type the model's
 * one object-type lookup (`findObjectType`) gives (the type with intent default, else the one marked default: true), so
 * it works on the accounts the projector plans for.
 */
import { ldapObjectTypes } from '../../../src/connectors/ldap/ldap-object-types';
import { findObjectTypeAmong } from '../../../src/model';
import { ldapConnectorSchema, objectTypeSchema } from '../../../src/schema/config';

const connector = ldapConnectorSchema.parse({
  type: 'ldap',
  url: 'ldap://127.0.0.1:3890',
  bindDn: 'cn=admin,dc=example,dc=com',
  bindPassword: { env: 'TALLY_LDAP_PASSWORD' },
  baseContext: 'dc=example,dc=com',
});

const accountTypes = (...types: object[]) => types.map((t) => objectTypeSchema.parse({ objectClass: 'inetOrgPerson', ...t }));

test('the accounts the connector works on are of the type with intent default, else of the one marked default: true', () => {
  const objectTypes = accountTypes({ intent: 'admin', default: true, baseContext: 'ou=admins,dc=example,dc=com' }, { baseContext: 'ou=people,dc=example,dc=com' });
  expect(findObjectTypeAmong(objectTypes)?.baseContext).toBe('ou=people,dc=example,dc=com');
  expect(ldapObjectTypes(connector, objectTypes).config.baseContext).toBe('ou=people,dc=example,dc=com');

  // Without one of intent default, the type marked default: true.
  const others = accountTypes({ intent: 'admin', baseContext: 'ou=admins,dc=example,dc=com' }, { intent: 'staff', default: true, baseContext: 'ou=staff,dc=example,dc=com' });
  expect(findObjectTypeAmong(others)?.baseContext).toBe('ou=staff,dc=example,dc=com');
  expect(ldapObjectTypes(connector, others).config.baseContext).toBe('ou=staff,dc=example,dc=com');
});
