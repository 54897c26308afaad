/**
 * The dev stack's examples across restarts (what `make start` does after starting its servers): the first
 * start applies them and links jack's existing accounts; a change the user makes with the CLI survives the
 * next start, which says it left the examples as they are; `tally dev --examples` applies them again on
 * purpose, as a merge (the file's properties win, the CLI's assignment stays).
 */
import { setUpDevExamples } from '../../../src/dev/dev-examples';
import { runTallyCli } from '../../support/tally-cli';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';
import { exampleResources, type ExampleResources } from '../../support/example-resources';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: ExampleResources;
let config: string;
let jackDn: string;

beforeAll(async () => {
  tally = await startTally('dev-examples');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8), { jack: true });
  jackDn = resources.accountDn('jack');
  config = resources.examples;
}, 180_000);

afterAll(async () => {
  await resources?.close();
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

const jack = async () => (await tally.services.repo.users.byRef('jack'))!;
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
      'bin/tally dev --examples applies them again',
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
  expect(third.lines.filter((l) => l.startsWith('linked'))).toEqual([]);
  expect((await jack()).fullName).toBe('Jack Sparrow');
  expect(await assignedTo()).toEqual(['Pirate', LDAP_OID]);
}, 240_000);
