import { join } from 'node:path';
import { ConfigError, loadConfigFiles, loadConfigSources } from '../../../src/config/load-config';
import { derivedOid } from '../../../src/config/oids';
import { cronProblem } from '../../../src/schema/config';
import { problemLines, validLdapResource, validTemplate, writeConfigDir } from './helpers';

/** 1-based line of the first line containing `text`. */
const lineOf = (content: string, text: string): number => {
  const i = content.split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in the test file`);
  return i + 1;
};

describe('loadConfigFiles: valid sets', () => {
  it('reads several documents per file and files in nested directories, sorted', () => {
    const dir = writeConfigDir({
      'b/resources.yml': `${validLdapResource}---\n# only a comment\n---\n${validTemplate}`,
      'a/user.yaml': 'kind: User\nname: will\n',
      'a/notes.txt': 'not configuration',
    });
    const { objects } = loadConfigFiles([dir]);
    expect(objects.map((o) => [o.file, o.index, o.object.kind])).toEqual([
      [join(dir, 'a/user.yaml'), 0, 'User'],
      [join(dir, 'b/resources.yml'), 0, 'Resource'],
      [join(dir, 'b/resources.yml'), 2, 'ObjectTemplate'],
    ]);
  });

  it('gives objects without an oid a stable one derived from kind and name', () => {
    const dir = writeConfigDir({ 'u.yaml': 'kind: User\nname: will\n---\nkind: User\noid: u-1\nname: elizabeth\n' });
    const first = loadConfigFiles([dir]).objects.map((o) => o.object.oid);
    expect(first).toEqual([derivedOid('User', 'will'), 'u-1']);
    expect(first[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedOid('Role', 'will')).not.toBe(first[0]);
    expect(loadConfigFiles([dir]).objects[0].object.oid).toBe(first[0]);
  });

  it('keeps the stored oid of an object re-applied without one', () => {
    const dir = writeConfigDir({ 'u.yaml': 'kind: User\nname: will\n' });
    const { objects } = loadConfigFiles([dir], { known: [{ kind: 'User', oid: 'stored-will', name: 'will' }] });
    expect(objects[0].object.oid).toBe('stored-will');
  });

  it('resolves references by oid or name, in the set or among stored objects', () => {
    const dir = writeConfigDir({
      'r.yaml': validLdapResource.replace('objectTemplateRef: Default', 'objectTemplateRef: { oid: tpl-1 }'),
      'u.yaml': [
        'kind: User',
        'name: will',
        'assignment:',
        '  - targetRef: Captain',
        '  - accountConstruction: { resourceRef: Directory }',
        '  - construction: { resourceRef: stored-resource }',
      ].join('\n'),
    });
    const known = [
      { kind: 'ObjectTemplate' as const, oid: 'tpl-1', name: 'Stored template' },
      { kind: 'Role' as const, oid: 'role-1', name: 'Captain' },
      { kind: 'Resource' as const, oid: 'stored-resource', name: 'Stored' },
    ];
    expect(loadConfigFiles([dir], { known }).objects).toHaveLength(2);
  });
});

describe('loadConfigFiles: rejected files name file, line, field, what was expected and what was found', () => {
  it('a wrong strength', () => {
    const content = validLdapResource.replace('strength: weak', 'strength: wek') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'strength: wek')}: ` +
        'schemaHandling.accountType[0].attribute[0].outbound.strength: ' +
        'expected one of "weak", "normal", "strong", found "wek" (did you mean "weak"?)',
    ]);
  });

  it('a missing connector url', () => {
    const content = validLdapResource.replace('  url: ldap://127.0.0.1:3890\n', '') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'connector:')}: connector.url: expected a string, found nothing (the field is missing)`,
    ]);
  });

  it('a malformed connector url says what form is expected', () => {
    const content = validLdapResource.replace('ldap://127.0.0.1:3890', 'http://127.0.0.1:3890') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'url:')}: connector.url: expected an ldap:// or ldaps:// URL, found "http://127.0.0.1:3890"`,
    ]);
  });

  it('an inline bindPassword: secrets are by reference, and the value is never repeated', () => {
    const content =
      validLdapResource.replace('{ env: TALLY_LDAP_PASSWORD }', 'Sup3rS3cret!') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    const lines = problemLines(() => loadConfigFiles([dir]));
    expect(lines).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'bindPassword')}: connector.bindPassword: ` +
        'expected a secret reference { env: VARIABLE } or { file: PATH }; secrets are never written inline; ' +
        'found a string (value not shown)',
    ]);
    expect(lines.join('\n')).not.toContain('Sup3rS3cret');
  });

  describe('activation.deprovisioning', () => {
    const resourceWith = (activation: string) =>
      validLdapResource.replace('      attribute:\n', `      activation:\n${activation}      attribute:\n`) + `---\n${validTemplate}`;
    const status = '        administrativeStatus: { attribute: businessCategory, disabledValue: disabled, outbound: { strength: normal } }\n';

    it('disable with a delayed delete loads; delete stays the default', () => {
      const dir = writeConfigDir({ 'ldap.yaml': resourceWith(`${status}        deprovisioning: { action: disable, deleteAfter: 30d }\n`) });
      const resource = loadConfigFiles([dir]).objects.find((o) => o.object.kind === 'Resource')!.object;
      expect(resource.kind === 'Resource' && resource.schemaHandling.objectType[0]!.activation?.deprovisioning).toEqual({ action: 'disable', deleteAfter: '30d' });
      const defaults = writeConfigDir({ 'ldap.yaml': resourceWith(`${status}        deprovisioning: {}\n`) });
      const plain = loadConfigFiles([defaults]).objects.find((o) => o.object.kind === 'Resource')!.object;
      expect(plain.kind === 'Resource' && plain.schemaHandling.objectType[0]!.activation?.deprovisioning).toEqual({ action: 'delete' });
    });

    it('disable without an administrativeStatus: the account could not be disabled', () => {
      const content = resourceWith('        deprovisioning: { action: disable }\n');
      const dir = writeConfigDir({ 'ldap.yaml': content });
      expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
        `${join(dir, 'ldap.yaml')}:${lineOf(content, 'deprovisioning:')}: schemaHandling.accountType[0].activation.deprovisioning.action: ` +
          'disable needs activation.administrativeStatus: the attribute that says the account is disabled, found "disable"',
      ]);
    });

    it('deleteAfter without disable, a bad duration and an unknown action', () => {
      const content = resourceWith(`${status}        deprovisioning: { deleteAfter: 30d }\n`);
      const dir = writeConfigDir({ 'ldap.yaml': content });
      expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
        `${join(dir, 'ldap.yaml')}:${lineOf(content, 'deprovisioning:')}: schemaHandling.accountType[0].activation.deprovisioning.deleteAfter: ` +
          'deleteAfter applies to accounts disabled instead of deleted: it needs action: disable, found "30d"',
      ]);
      const bad = resourceWith(`${status}        deprovisioning:\n          action: disabled\n          deleteAfter: 30 days\n`);
      const badDir = writeConfigDir({ 'ldap.yaml': bad });
      const lines = problemLines(() => loadConfigFiles([badDir]));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^${join(badDir, 'ldap.yaml')}:${lineOf(bad, 'action: disabled')}: schemaHandling.accountType\\[0\\].activation.deprovisioning.action: expected one of "delete", "disable"`));
      expect(lines[1]).toMatch(new RegExp(`^${join(badDir, 'ldap.yaml')}:${lineOf(bad, 'deleteAfter: 30 days')}: schemaHandling.accountType\\[0\\].activation.deprovisioning.deleteAfter: `));
    });
  });

  it('an unknown key, with the closest allowed key', () => {
    const content = validLdapResource.replace('  baseContext:', '  basecontext:') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    const lines = problemLines(() => loadConfigFiles([dir]));
    const line = lineOf(content, 'basecontext');
    expect(lines).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'connector:')}: connector.baseContext: expected a string, found nothing (the field is missing)`,
      `${join(dir, 'ldap.yaml')}:${line}: connector.basecontext: unknown key "basecontext"; did you mean "baseContext"?`,
    ]);
  });

  it('an unknown key with nothing close lists what is allowed', () => {
    const dir = writeConfigDir({ 'u.yaml': 'kind: User\nname: will\nshoeSize: 44\n' });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'u.yaml')}:3: shoeSize: unknown key "shoeSize"; expected one of kind, oid, name, fullName, givenName, ` +
        'familyName, emailAddress, telephoneNumber, title, locality, employeeNumber, employeeType, organization, organizationalUnit, extension, activation, credentials, assignment, templateRef',
    ]);
  });

  it('bad YAML syntax, with its line and without the source excerpt', () => {
    const dir = writeConfigDir({ 'u.yaml': 'kind: User\nname: will\npassword: "unclosed\nfullName: x\n' });
    const lines = problemLines(() => loadConfigFiles([dir]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${join(dir, 'u.yaml')}:\\d+: YAML syntax error: `));
    expect(lines[0]).not.toContain('unclosed');
    const dup = writeConfigDir({ 'd.yaml': 'kind: User\nname: will\nname: bill\n' });
    expect(problemLines(() => loadConfigFiles([dup]))).toEqual([
      `${join(dup, 'd.yaml')}:3: YAML syntax error: Map keys must be unique`,
    ]);
  });

  it('a dangling objectTemplateRef', () => {
    const content = validLdapResource;
    const dir = writeConfigDir({ 'ldap.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'objectTemplateRef')}: synchronization.reaction[0].action.objectTemplateRef: ` +
        'no object template with oid or name "Default" in these files or in the repository',
    ]);
    // The same file loads once the template is stored.
    const known = [{ kind: 'ObjectTemplate' as const, oid: 't', name: 'Default' }];
    expect(loadConfigFiles([dir], { known }).objects).toHaveLength(1);
  });

  it('a reference to an object of the wrong kind', () => {
    const content = `${validLdapResource}---\n${validTemplate}---\nkind: User\nname: will\nassignment: { targetRef: Directory }\n`;
    const dir = writeConfigDir({ 'all.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'all.yaml')}:${lineOf(content, 'targetRef: Directory')}: ` +
        'assignment.targetRef: expected a reference to a role, found "Directory", which is the resource "Directory"',
    ]);
  });

  it('duplicate names and oids', () => {
    const dir = writeConfigDir({
      'a.yaml': 'kind: Role\nname: Captain\n---\nkind: Role\nname: Captain\n---\nkind: User\noid: x-1\nname: a\n',
      'b.yaml': 'kind: Role\noid: x-1\nname: Other\n---\nkind: User\nname: Captain\n',
    });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'a.yaml')}:5: name: duplicate role name "Captain" (also at ${join(dir, 'a.yaml')}:2)`,
      `${join(dir, 'b.yaml')}:2: oid: duplicate oid x-1: already used by user "a" at ${join(dir, 'a.yaml')}:9`,
    ]);
  });

  it('a name already stored under another oid', () => {
    const dir = writeConfigDir({ 'r.yaml': 'kind: Role\noid: new-oid\nname: Captain\n' });
    const known = [{ kind: 'Role' as const, oid: 'old-oid', name: 'Captain' }];
    expect(problemLines(() => loadConfigFiles([dir], { known }))).toEqual([
      `${join(dir, 'r.yaml')}:3: name: a role named "Captain" is already stored with oid old-oid; names are unique (use that oid or another name)`,
    ]);
    // Renaming a stored object to a free name is fine.
    expect(loadConfigFiles([dir], { known: [{ kind: 'Role', oid: 'new-oid', name: 'Old name' }] }).objects).toHaveLength(1);
  });

  it('a synchronization policy for an object type the resource lacks', () => {
    const content = validLdapResource.replace('synchronization:\n', 'synchronization:\n  intent: admin\n') + `---\n${validTemplate}`;
    const dir = writeConfigDir({ 'r.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'r.yaml')}:${lineOf(content, 'intent: admin')}: synchronization.intent: no account object type with intent "admin" in schemaHandling`,
    ]);
  });

  it('a resource without a default account type, and constructions of a type the resource lacks', () => {
    const resource = validLdapResource.replace('    - default: true\n      objectClass', '    - objectClass');
    const dir = writeConfigDir({
      'r.yaml': `${resource}---\n${validTemplate}`,
      'u.yaml': 'kind: User\nname: will\nassignment:\n  - accountConstruction: { resourceRef: Directory, intent: admin }\n',
    });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'r.yaml')}:${lineOf(resource, 'schemaHandling')}: schemaHandling: expected an object type of kind account with \`default: true\`, found none`,
      `${join(dir, 'u.yaml')}:4: assignment[0].accountConstruction.intent: resource "Directory" has no account object type with intent "admin"`,
    ]);
  });

  it('checks the references inside a template\'s assignment values', () => {
    const template = validTemplate + [
      '  - strength: weak',
      '    expression: { value: { assignment: { accountConstruction: { resourceRef: Nowhere } } } }',
      '    target: { path: assignment }',
      '',
    ].join('\n');
    const dir = writeConfigDir({ 'all.yaml': `${validLdapResource}---\n${template}` });
    const lines = problemLines(() => loadConfigFiles([dir]));
    expect(lines).toEqual([
      expect.stringMatching(
        /:\d+: mapping\[1\]\.expression\.value\.assignment\.accountConstruction\.resourceRef: no resource with oid or name "Nowhere"/,
      ),
    ]);
  });

  it('returns nothing when one of several files is bad, and lists every problem of every file', () => {
    const dir = writeConfigDir({
      'good.yaml': `${validLdapResource}---\n${validTemplate}`,
      'bad-role.yaml': 'kind: Role\nname: Captain\ninducement:\n  - construction: { resourceRef: Directory, kind: acount }\n',
      'bad-user.yaml': 'kind: Usr\nname: will\n',
    });
    let loaded: unknown;
    let error: unknown;
    try {
      loaded = loadConfigFiles([join(dir, 'good.yaml'), join(dir, 'bad-role.yaml'), join(dir, 'bad-user.yaml')]);
    } catch (e) {
      error = e;
    }
    expect(loaded).toBeUndefined();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      [join(dir, 'bad-role.yaml'), 4, 'inducement[0].construction.kind'],
      [join(dir, 'bad-user.yaml'), 1, 'kind'],
    ]);
    expect(problems[1].message).toBe('expected one of "Resource", "ObjectTemplate", "Role", "User", found "Usr" (did you mean "User"?)');
  });

  it('reports paths that cannot be read and directories without configuration', () => {
    const empty = writeConfigDir({ 'readme.md': '# nothing here' });
    expect(problemLines(() => loadConfigFiles([join(empty, 'missing.yaml'), empty]))).toEqual([
      `${empty}: no *.yaml or *.yml files in this directory`,
      `${join(empty, 'missing.yaml')}: cannot read (ENOENT)`,
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    const dir = writeConfigDir({ 'l.yaml': '- kind: User\n  name: will\n' });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'l.yaml')}:1: (document): expected a mapping, found a list of 1`,
    ]);
  });
});

describe('scripts are compiled when configuration is loaded', () => {
  test('a script reaching for process or an unknown variable is refused with its file, line and field', () => {
    const resource = [
      'kind: Resource',
      'name: Scripted',
      'connector: { type: postgres, table: accounts }',
      'schemaHandling:',
      '  accountType:',
      '    - default: true',
      '      objectClass: accounts',
      '      attribute:',
      '        - ref: cn',
      '          outbound:',
      '            source: [{ path: $user/fullName }]',
      "            expression: { script: { code: \"process.exit(1)\" } }",
      '        - ref: sn',
      '          outbound:',
      '            source: [{ path: $user/familyName }]',
      "            expression: { script: { code: \"familyName + ' ' + nickname\" } }",
      '',
    ].join('\n');
    let error: unknown;
    try {
      loadConfigSources([{ file: 'scripted.yaml', text: resource }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/scripted\.yaml:1[0-2]: schemaHandling\.accountType\[0\]\.attribute\[0\]\.outbound: .*process/);
    expect(message).toMatch(/scripted\.yaml:1[4-6]: schemaHandling\.accountType\[0\]\.attribute\[1\]\.outbound: .*unknown variable 'nickname'/);
  });

  test('the seeds\' scripts compile', () => {
    expect(() => loadConfigFiles([join(__dirname, '..', '..', '..', 'examples')])).not.toThrow();
  });
});

describe('reconciliation schedule', () => {
  test.each([
    ['0 2 * * *', null],
    ['*/15 8-18 * * MON-FRI', null],
    ['@daily', null],
    ['0 2 1,15 JAN,jul 0', null],
    ['61 2 * * *', "minute: '61' is not between 0 and 59"],
    ['0 2 * *', 'expected five fields (minute hour day-of-month month day-of-week), such as "0 2 * * *", got 4'],
    ['0 24 * * *', "hour: '24' is not between 0 and 23"],
    ['0 2 * * FUNDAY', "day of week: 'FUNDAY' is not between 0 and 7"],
    ['*/0 2 * * *', "minute: '*/0' is not a value, a range or a step"],
  ])('%s', (cron, problem) => {
    expect(cronProblem(cron)).toBe(problem);
  });
});

describe('consistency.failedChange', () => {
  const resourceWith = (consistency: string) => `${validLdapResource}${consistency}---\n${validTemplate}`;
  const failedChangeOf = (dir: string) =>
    (loadConfigFiles([dir]).objects.find((o) => o.object.kind === 'Resource')!.object as { consistency: { failedChange: unknown } }).consistency.failedChange;

  it('defaults to 10 attempts, 1 s doubling up to 5 min, for at most a day; a resource may set its own', () => {
    expect(failedChangeOf(writeConfigDir({ 'ldap.yaml': resourceWith('') }))).toEqual({
      maxAttempts: 10,
      backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
      maxAge: '24h',
    });
    const own = resourceWith('consistency:\n  failedChange: { maxAttempts: 3, backoff: { initialInterval: 200ms }, maxAge: 1h }\n');
    expect(failedChangeOf(writeConfigDir({ 'ldap.yaml': own }))).toEqual({
      maxAttempts: 3,
      backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5m' },
      maxAge: '1h',
    });
  });

  it('a wrong value names its field and what was expected', () => {
    const content = resourceWith('consistency:\n  failedChange:\n    maxAttempts: 0\n    backoff: { multiplier: 2 }\n');
    const dir = writeConfigDir({ 'ldap.yaml': content });
    const lines = problemLines(() => loadConfigFiles([dir]));
    expect(lines).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'maxAttempts: 0')}: consistency.failedChange.maxAttempts: expected a value > 0, found number 0`,
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'multiplier')}: consistency.failedChange.backoff.multiplier: unknown key "multiplier"; expected one of initialInterval, backoffCoefficient, maximumInterval`,
    ]);
  });
});
