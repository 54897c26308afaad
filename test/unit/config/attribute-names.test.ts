import { checkAttributeNames } from '../../../src/admin/attribute-name-check';
import { constructionTargets, withConstructionNames } from '../../../src/admin/construction-targets';
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

  it("reads a bare outbound source as the mapping does, as a user property (midPoint's sample writes fullName), and a bare inbound source as an attribute", async () => {
    const text = declared('        - ref: ri:title\n          outbound: { source: [{ path: fullName }, { path: c:name }] }\n          inbound: { source: [{ path: titel }], target: { path: title } }\n');
    const line = text.split('\n').findIndex((l) => l.includes('titel')) + 1;
    expect((await check(text)).lines).toEqual([
      `resource.yaml:${line}: schemaHandling.accountType[0].attribute[1].inbound.source[0].path: resource "Directory"'s object type "account/default" has no attribute 'titel' (did you mean 'title'?)`,
    ]);
  });

  it('an object class the declared schema lacks is named', async () => {
    const text = declared('').replace('objectClass: inetOrgPerson\n      attribute', 'objectClass: posixAccount\n      attribute');
    expect((await check(text)).lines).toEqual([expect.stringMatching(/schemaHandling\.accountType\[0\]\.objectClass: resource "Directory"'s schema has no object class 'posixAccount'$/)]);
  });
});

describe("roles' and users' constructions checked against the object type they target", () => {
  const role = (attributes: string, extra = '') => `kind: Role
name: Navigator
inducement:
  - construction:
      resourceRef: Directory
      attribute:
${attributes}${extra}`;

  /** Loads the files, then resolves and checks the constructions as tally apply does; `stored`: resources already in the repository. */
  async function apply(files: Record<string, string>, stored: Record<string, unknown> = {}) {
    const dir = writeConfigDir(files);
    const known = Object.values(stored).map((r) => ({ kind: 'Resource' as const, oid: (r as { oid: string }).oid, name: (r as { name: string }).name }));
    const loaded = loadConfigFiles([dir], { known }).objects;
    const targets = await constructionTargets(loaded, async (ref) => (stored[ref] as never) ?? null);
    const objects = withConstructionNames(loaded, targets);
    const result = await checkAttributeNames(objects, targets);
    return { objects, lines: result.problems.map(formatProblem).map((l) => l.replace(`${dir}/`, '')), unchecked: result.unchecked };
  }

  it("resolves ri:dn and ri:entryUUID in a role's construction to the identifiers", async () => {
    const text = role("        - ref: ri:dn\n          outbound: { source: [{ path: $user/name }], expression: { script: { code: \"'uid=' + name + ',ou=navy,dc=example,dc=com'\" } } }\n        - ref: ri:title\n          outbound: { expression: { value: Navigator } }\n");
    const { objects, lines } = await apply({ 'resource.yaml': declared(''), 'template.yaml': validTemplate, 'role.yaml': text });
    expect(lines).toEqual([]);
    const navigator = objects.find((o) => o.object.kind === 'Role')!.object as { inducement: Array<{ construction: { attribute: Array<{ ref: string }> } }> };
    expect(navigator.inducement[0]!.construction.attribute.map((a) => a.ref)).toEqual(['icfs:name', 'ri:title']);
  });

  it("refuses a role's misspelled attribute, a source the type lacks and an association it doesn't define, with file:line", async () => {
    const text = role(
      '        - ref: ri:tittle\n          outbound: { expression: { value: Navigator } }\n        - ref: ri:description\n          outbound: { source: [{ path: $account/attributes/ri:mial }] }\n',
      '      association:\n        - { ref: ri:grup, targets: [cn=navy] }\n',
    );
    const line = (s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;
    const stored = { Directory: { ...(await apply({ 'resource.yaml': declared(''), 'template.yaml': validTemplate })).objects[0]!.object } };
    const { lines } = await apply({ 'role.yaml': text }, stored);
    expect(lines).toEqual([
      `role.yaml:${line('ri:tittle')}: inducement[0].construction.attribute[0].ref: resource "Directory"'s object type "account/default" has no attribute 'tittle' (did you mean 'title'?)`,
      `role.yaml:${line('ri:mial')}: inducement[0].construction.attribute[1].outbound.source[0].path: resource "Directory"'s object type "account/default" has no attribute 'mial' (did you mean 'mail'?)`,
      `role.yaml:${line('ri:grup')}: inducement[0].construction.association[0].ref: resource "Directory" has no association "ri:grup" on its account type "default" (it defines none)`,
    ]);
  });

  it("reads a bare source of a role's construction as a user property", async () => {
    const text = role('        - ref: ri:title\n          outbound: { source: [{ path: fullName }] }\n');
    expect((await apply({ 'resource.yaml': declared(''), 'template.yaml': validTemplate, 'role.yaml': text })).lines).toEqual([]);
  });

  it("checks a user's direct construction where it is written (construction, parsed as accountConstruction)", async () => {
    const user = 'kind: User\nname: will\nassignment:\n  - construction:\n      resourceRef: Directory\n      attribute:\n        - ref: ri:sn\n        - ref: ri:snn\n';
    const { lines } = await apply({ 'resource.yaml': declared(''), 'template.yaml': validTemplate, 'user.yaml': user });
    expect(lines).toEqual([`user.yaml:8: assignment[0].construction.attribute[1].ref: resource "Directory"'s object type "account/default" has no attribute 'snn' (did you mean 'sn'?)`]);
  });
});
