/**
 * `tally user set|assign|unassign` as an operator runs them (the real bin/tally, against a real Tally):
 * mistakes end with exit code 1 and a message naming what was wrong, and the user stays as it was.
 * The commands' successful paths run end to end in test/e2e/assignment-scenario.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTallyCli } from '../../support/tally-cli';
import { propertyChangesFromWords, UserCommandError } from '../../../src/admin/user-commands';
import { applyAndProvision, startTally, type TallyHarness } from '../../support/tally-harness';
import { createAccountsTable, exampleResources } from '../../support/example-resources';

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;

const tallyCli = (args: string[]) => runTallyCli(tally.env, args);

beforeAll(async () => {
  tally = await startTally('user-cli');
  // Provisioned, so nothing of his is left for the sweep to do while the commands run.
  resources = await exampleResources(tally.stack, `cli${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`);
  await applyAndProvision(tally.services, [resources.examples]);
}, 120_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('property=value words become a property change; extension/<name> goes under extension; an empty value is kept for clearing', () => {
  expect(propertyChangesFromWords(['fullName=Jack Sparrow', 'givenName=', 'extension/ship=Black Pearl', 'extension/rank=a=b'])).toEqual({
    fullName: 'Jack Sparrow',
    givenName: '',
    extension: { ship: 'Black Pearl', rank: 'a=b' },
  });
  expect(() => propertyChangesFromWords(['givenName'])).toThrow(new UserCommandError('invalid', "expected property=value, got 'givenName'"));
  expect(() => propertyChangesFromWords(['=x'])).toThrow(/expected property=value, got '=x'/);
});

test('mistakes exit with 1 and say what was wrong; the user is unchanged', async () => {
  const before = await tally.services.repo.users.byRef('jack');
  const cases: Array<[string[], RegExp]> = [
    [['user', 'set', 'jack', 'nickname=Jacky'], /^tally: invalid user properties: unknown user property 'nickname'; settable are fullName, givenName, familyName, emailAddress, telephoneNumber, title, locality, employeeNumber, employeeType, organization, organizationalUnit, templateRef, activation\/administrativeStatus, activation\/validFrom, activation\/validTo, credentials\/password\/value and extension\/<name>$/m],
    [['user', 'set', 'jack', 'activation/administrativeStatus=off'], /^tally: invalid user properties: activation\/administrativeStatus: expected enabled, disabled or archived$/m],
    [['user', 'set', 'jack'], /^tally: invalid user properties: name at least one property to set$/m],
    [['user', 'set', 'jack', 'extension/bad name=x'], /^tally: invalid user properties: extension\/bad name: an extension property name is letters, digits, _ and -$/m],
    [['user', 'set', 'jack', 'givenName'], /^tally: expected property=value, got 'givenName'$/m],
    [['user', 'set', 'nobody', 'givenName=No'], /^tally: no user 'nobody'$/m],
    [['user', 'assign', 'jack', 'Admiral'], /^tally: no role 'Admiral' \(roles: Pirate\)$/m],
    [['user', 'assign', 'jack', '--resource', 'HR'], /^tally: no resource 'HR' \(resources: MyLittleAD, OpenDJ LDAP directory\)$/m],
    [['user', 'assign', 'jack', '--resource', 'MyLittleAD', '--intent', 'admin'], /^tally: resource 'MyLittleAD' has no account type with intent 'admin' \(intents: default\)$/m],
    [['user', 'assign', 'jack', 'Pirate', '--resource', 'MyLittleAD'], /^tally: invalid assignment: name exactly one of role or resource$/m],
    [['user', 'unassign', 'jack', '--resource', 'MyLittleAD'], /^tally: user 'jack' has no assignment of an account on resource 'MyLittleAD'$/m],
  ];
  const results = await Promise.all(cases.map(([args]) => tallyCli(args)));
  results.forEach((result, i) => {
    expect({ args: cases[i][0], code: result.code }).toEqual({ args: cases[i][0], code: 1 });
    expect(result.stderr).toMatch(cases[i][1]);
  });
  expect(await tally.services.repo.users.byRef('jack')).toEqual(before);
}, 180_000);

test('assigning a role the user already has reports it unchanged', async () => {
  const result = await tallyCli(['user', 'assign', 'jack', 'Pirate', '--wait']);
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe('jack: unchanged');
}, 120_000);

test("an assignment names no intent: the resource's default: true account type (intent staff) is taken, as the projector does, and the account created", async () => {
  // A copy of MyLittleAD on a table of its own whose one account type has intent staff, marked default: true.
  const table = `${resources.table}_staff`;
  await createAccountsTable(resources.pg, table);
  const yaml = readFileSync(path.join(resources.examples, 'resources', 'hr-postgres.yaml'), 'utf8')
    .replace('oid: c0c010c0-d34d-b33f-f00d-333111111112', 'oid: c0c010c0-d34d-b33f-f00d-333111111119')
    .replace('name: MyLittleAD', 'name: Staff table')
    .replace(`table: ${resources.table}`, `table: ${table}`)
    .replace('- name: Default Account\n      default: true', '- name: Staff Account\n      intent: staff\n      default: true')
    .replace(/^liveSync: .*$/m, '');
  expect(yaml).toMatch(/intent: staff\n\s+default: true/);
  const file = path.join(resources.examples, 'staff-table.yaml');
  writeFileSync(file, yaml);
  await applyAndProvision(tally.services, [file]);

  const result = await tallyCli(['user', 'assign', 'jack', '--resource', 'Staff table', '--wait']);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^jack: changed assignment/m);
  expect(result.stdout).toMatch(/^ {2}add {4}Staff table: /m);
  expect((await resources.pg.query(`select name, login from ${table}`)).rows).toEqual([{ name: 'cn=jack,o=Acme', login: 'jack' }]);
}, 120_000);
