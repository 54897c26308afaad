import { checkAttributeNames } from '../../../src/admin/attribute-name-check';
import { formatProblem, loadConfigFiles } from '../../../src/config/load-config';
import { validLdapResource, validTemplate, writeConfigDir } from './helpers';

/** validLdapResource with a declared schema: nothing is read from a directory. */
const declared = (attribute: string) =>
  validLdapResource.replace(
    'schemaHandling:',
    `schema:
  objectClass:
    - { name: inetOrgPerson, attribute: [cn, sn, uid, description, title, mail] }
schemaHandling:`,
  ).replace('        - ref: cn\n', `${attribute}        - ref: cn\n`) +
  '  correlation:\n    equal: { path: name, expression: { path: $account/attributes/ri:uid } }\n';

async function check(text: string) {
  const dir = writeConfigDir({ 'resource.yaml': text, 'template.yaml': validTemplate });
  const result = await checkAttributeNames(loadConfigFiles([dir]).objects);
  return { lines: result.problems.map(formatProblem).map((l) => l.replace(`${dir}/`, '')), unchecked: result.unchecked };
}

describe('attribute names checked against a declared schema', () => {
  it('takes what the declared object class has, and the identifiers under any of their names', async () => {
    const text = declared('        - ref: ri:title\n          outbound: { source: [{ path: $user/title }] }\n        - ref: ri:dn\n        - ref: ri:entryUUID\n');
    expect(await check(text)).toEqual({ lines: [], unchecked: [] });
  });

  it('refuses an attribute the object class does not have, with file:line and a suggestion', async () => {
    const text = declared('        - ref: ri:tittle\n          outbound: { source: [{ path: $user/title }] }\n').replace('ri:uid }', 'ri:uidd }');
    const line = (s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;
    expect((await check(text)).lines).toEqual([
      `resource.yaml:${line('ri:tittle')}: schemaHandling.accountType[0].attribute[1].ref: resource "Directory"'s object type "account/default" has no attribute 'tittle' (did you mean 'title'?)`,
      `resource.yaml:${line('ri:uidd')}: synchronization.correlation.equal.expression.path: resource "Directory"'s object type "account/default" has no attribute 'uidd' (did you mean 'uid'?)`,
    ]);
  });

  it('an object class the declared schema lacks is named', async () => {
    const text = declared('').replace('objectClass: inetOrgPerson\n      attribute', 'objectClass: posixAccount\n      attribute');
    expect((await check(text)).lines).toEqual([expect.stringMatching(/schemaHandling\.accountType\[0\]\.objectClass: resource "Directory"'s schema has no object class 'posixAccount'$/)]);
  });
});
