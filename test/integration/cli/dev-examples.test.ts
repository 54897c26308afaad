/**
 * The dev stack's examples across restarts (what `make start` does after starting its servers): the first
 * start applies them and links jack's existing accounts; a change the user makes with the CLI survives the
 * next start, which says it left the examples as they are; `tally dev --examples` applies them again on
 * purpose, as a merge (the file's properties win, the CLI's assignment stays).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { setUpDevExamples } from '../../../src/dev/dev-examples';
import { runTallyCli } from '../../support/tally-cli';
import { eventually, examplesForStack, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let config: string;
let jackDn: string;

beforeAll(async () => {
  tally = await startTally('dev-examples');
  const { stack } = tally;
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  const ou = `people-${suffix}`;
  const table = `accounts_${suffix}`;
  jackDn = `uid=jack,ou=${ou},dc=example,dc=com`;
  // What the dev stack's resources hold before Tally: jack's LDAP entry and his MyLittleAD row.
  const ldap = new LdapClient({ url: stack.ldap.url });
  try {
    await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
    await ldap.add(`ou=${ou},dc=example,dc=com`, { objectClass: ['top', 'organizationalUnit'], ou });
    await ldap.add(jackDn, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'jack', cn: 'Jack Sparrow', givenName: 'Jack', sn: 'Sparrow' });
  } finally {
    await ldap.unbind();
  }
  const pg = new PgClient({ connectionString: stack.postgres.connectionString });
  await pg.connect();
  try {
    await pg.query(readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));
    await pg.query(`INSERT INTO ${table} (name, login, cn, given_name, sn) VALUES ('cn=jack,o=Acme', 'jack', 'Jack Sparrow', 'Jack', 'Sparrow')`);
  } finally {
    await pg.end();
  }
  config = examplesForStack(stack, { ldapOu: ou, table });
}, 180_000);

afterAll(async () => {
  await tally?.stop();
});

/** One start's examples step, with the lines it printed. */
async function start(force = false): Promise<{ outcome: string; lines: string[] }> {
  const lines: string[] = [];
  const outcome = await setUpDevExamples(tally.services, {
    paths: [config],
    force,
    existingAccounts: [
      { resource: LDAP_OID, account: jackDn },
      { resource: AD_OID, account: 'cn=jack,o=Acme' },
    ],
    log: (line) => lines.push(line),
  });
  return { outcome, lines };
}

const jack = async () => (await tally.services.repo.userByRef('jack'))!;
const assignedTo = async () => (await jack()).assignment.map((a) => a.targetRef ?? a.accountConstruction!.resourceRef);

test("the first start applies the examples; the user's changes survive the next start, which says it left them; --examples applies them again as a merge", async () => {
  const first = await start();
  expect(first.outcome).toBe('applied');
  expect(first.lines[0]).toBe(
    'applied examples (first start: the repository was empty): Resource MyLittleAD (created), Resource OpenDJ LDAP directory (created), ' +
      'Role Pirate (created), ObjectTemplate Default User Template (created), User jack (created)',
  );
  expect(first.lines).toContain(`linked the accounts the example resources held: ${jackDn}, cn=jack,o=Acme`);
  expect(first.lines.filter((l) => /^live sync of .* started \(livesync:/.test(l))).toHaveLength(2);
  await eventually(async () => (await jack()).linkRef.length, (n) => n === 2, "jack's two accounts linked");

  // The user's work between two starts: another fullName and an LDAP account assigned directly.
  const set = await runTallyCli(tally.env, ['user', 'set', 'jack', 'fullName=Captain Jack Sparrow', '--wait']);
  expect(set.stdout).toMatch(/^jack: changed fullName$/m);
  const assigned = await runTallyCli(tally.env, ['user', 'assign', 'jack', '--resource', 'OpenDJ LDAP directory', '--wait']);
  expect(assigned.stdout).toMatch(/^jack: changed assignment$/m);
  const before = await jack();

  const second = await start();
  expect(second.outcome).toBe('left');
  expect(second.lines[0]).toBe(
    'examples already applied, left as they are (the repository holds 2 resources, 1 role, 1 object template, 1 user): your changes stay; ' +
      'bin/tally dev --examples or bin/tally apply -f examples/ applies them again',
  );
  expect(second.lines.slice(1).sort()).toEqual([
    `live sync of MyLittleAD runs (livesync:${AD_OID})`,
    `live sync of OpenDJ LDAP directory runs (livesync:${LDAP_OID})`,
  ]);
  expect(await jack()).toEqual(before);
  expect(before.fullName).toBe('Captain Jack Sparrow');
  expect(await assignedTo()).toEqual(['Pirate', LDAP_OID]);

  // On purpose: the file's fullName comes back, the assignment made with the CLI stays.
  const third = await start(true);
  expect(third.outcome).toBe('applied');
  expect(third.lines[0]).toMatch(/^applied examples again: .*User jack \(updated\)$/);
  expect((await jack()).fullName).toBe('Jack Sparrow');
  expect(await assignedTo()).toEqual(['Pirate', LDAP_OID]);
}, 240_000);
