import { join } from 'node:path';
import { loadConfigFiles } from '../../../src/config/load-config';
import { parsePath } from '../../../src/model';
import { problemLines, validLdapResource, writeConfigDir } from './helpers';

const lineOf = (content: string, text: string): number => content.split('\n').findIndex((l) => l.includes(text)) + 1;

/** validLdapResource with more attribute definitions and a correlation. */
const resourceWith = (attributes: string, correlationPath = 'name') =>
  validLdapResource.replace(
    '        - ref: cn\n',
    `${attributes}        - ref: cn\n`,
  ) + `  correlation:\n    equal: { path: ${correlationPath}, expression: { path: $account/attributes/ri:uid } }\n`;

describe('paths as midPoint users write them', () => {
  it('the c: prefix of user paths is stripped, ri: and icfs: name attributes and identifiers', () => {
    expect(parsePath('$c:user/c:givenName')).toEqual({ root: 'user', segments: ['givenName'] });
    expect(parsePath('$user/c:name')).toEqual({ root: 'user', segments: ['name'] });
    expect(parsePath('c:fullName')).toEqual({ root: 'user', segments: ['fullName'] });
    expect(parsePath('$focus/extension/ext:badge')).toEqual({ root: 'user', segments: ['extension', 'badge'] });
    expect(parsePath('ri:uid')).toEqual({ root: 'account', attribute: 'uid' });
    expect(parsePath('$c:account/attributes/ri:uid')).toEqual({ root: 'account', attribute: 'uid' });
    expect(parsePath('icfs:name')).toEqual({ root: 'account', attribute: 'icfs:name' });
  });

  it('tally apply accepts prefixed paths and the new user properties', () => {
    const attributes = `        - ref: ri:uid
          matchingRule: mr:stringIgnoreCase
          outbound: { source: [{ path: $user/c:name }] }
        - ref: ri:title
          outbound: { source: [{ path: $c:user/c:title }] }
          inbound: { target: { path: $user/c:title } }
        - ref: ri:telephoneNumber
          outbound: { source: [{ path: telephoneNumber }] }
          inbound: { target: { path: telephoneNumber } }
        - ref: ri:ou
          multiValued: true
          inbound: { target: { path: $user/organizationalUnit } }
`;
    const dir = writeConfigDir({
      'r.yaml': resourceWith(attributes, '$user/c:name'),
      't.yaml': 'kind: ObjectTemplate\nname: Default\nmapping:\n  - { source: [{ path: $user/locality }], target: { path: $user/extension/ext:city } }\n',
      'u.yaml': 'kind: User\nname: will\ntitle: Blacksmith\ntelephoneNumber: "+1 555 0100"\nlocality: Port Royal\nemployeeNumber: "42"\nemployeeType: crew\norganization: [Black Pearl]\norganizationalUnit: [Deck, Galley]\n',
    });
    const { objects } = loadConfigFiles([dir]);
    const user = objects.find((o) => o.object.kind === 'User')!.object;
    expect(user).toMatchObject({ title: 'Blacksmith', employeeType: ['crew'], organization: ['Black Pearl'], organizationalUnit: ['Deck', 'Galley'] });
  });

  it('tally apply refuses a user property that does not exist, with file:line: field.path: what was expected', () => {
    const attributes = `        - ref: ri:title
          outbound: { source: [{ path: $user/c:rank }] }
          inbound: { target: { path: $user/nmae } }
`;
    const text = resourceWith(attributes, 'c:login');
    const dir = writeConfigDir({ 'r.yaml': text });
    const file = join(dir, 'r.yaml');
    const lines = problemLines(() => loadConfigFiles([dir]));
    const expected = 'expected one of name, fullName, givenName, familyName, emailAddress, telephoneNumber, title, locality, employeeNumber, employeeType, organization, organizationalUnit, activation/..., credentials/... or extension/<name>';
    expect(lines).toEqual([
      `${file}:${lineOf(text, '$user/c:rank')}: schemaHandling.accountType[0].attribute[1].outbound.source[0].path: 'rank' is not a user property; ${expected}`,
      `${file}:${lineOf(text, '$user/nmae')}: schemaHandling.accountType[0].attribute[1].inbound.target.path: 'nmae' is not a user property; ${expected}`,
      `${file}:${lineOf(text, 'c:login')}: synchronization.correlation.equal.path: 'login' is not a user property; ${expected}`,
    ]);
  });

  it('tally apply refuses a protected filter on something other than an attribute, and an inbound target on the account', () => {
    const attributes = `        - ref: ri:title
          inbound: { target: { path: $account/attributes/title } }
`;
    const text = `${resourceWith(attributes).replace('    - default: true\n', '    - default: true\n      protected:\n        - name: uid=admin,ou=people,dc=example,dc=com\n        - filter: { equal: { path: $user/name, value: admin } }\n')}`;
    const dir = writeConfigDir({ 'r.yaml': text });
    const file = join(dir, 'r.yaml');
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${file}:${lineOf(text, 'path: $user/name, value')}: schemaHandling.accountType[0].protected[1].filter.equal.path: expected an account attribute (attributes/<attribute>), got '$user/name'`,
      `${file}:${lineOf(text, '$account/attributes/title')}: schemaHandling.accountType[0].attribute[1].inbound.target.path: expected a user property ($user/<property>), got '$account/attributes/title'`,
    ]);
  });
});
