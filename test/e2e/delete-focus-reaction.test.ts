/**
 * The `deleteFocus` reaction deletes the user as `tally user delete` does (his deleteUser workflow): his
 * accounts on the other resources are deprovisioned as his assignments say, not left behind as orphans.
 * The examples' LDAP directory reacts to `deleted` with deleteFocus here; jack has his LDAP account (the
 * Pirate role) and his MyLittleAD row (an account construction of his own). Then MyLittleAD's object type
 * disables instead of deleting (`activation.deprovisioning`): gibbs's row stays, disabled and ownerless.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exampleResources } from '../support/example-resources';
import { runTallyCli } from '../support/tally-cli';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;

async function pgRow(login: string): Promise<Record<string, unknown> | null> {
  return ((await resources.pg.query(`SELECT * FROM ${resources.table} WHERE login = $1`, [login])).rows[0] as Record<string, unknown> | undefined) ?? null;
}

beforeAll(async () => {
  tally = await startTally('delete-focus');
  resources = await exampleResources(tally.stack, `delfocus_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`);
  const ldapYaml = path.join(resources.examples, 'resources', 'ldap.yaml');
  const yaml = readFileSync(ldapYaml, 'utf8');
  const reacting = yaml.replace('{ situation: deleted, action: { handler: unlink } }', '{ situation: deleted, action: { handler: deleteFocus } }');
  expect(reacting).not.toBe(yaml);
  writeFileSync(ldapYaml, reacting);
  const jackYaml = path.join(resources.examples, 'users', 'jack.yaml');
  writeFileSync(jackYaml, `${readFileSync(jackYaml, 'utf8')}  - construction: { resourceRef: ${AD_OID} }\n`);
  await applyAndProvision(tally.services, [resources.examples]);
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test("an LDAP account deleted on the directory: deleteFocus deletes jack through his deleteUser workflow, and his MyLittleAD row goes with him", async () => {
  const jack = (await tally.services.repo.users.byRef('jack'))!;
  const jackDn = `uid=jack,${resources.base}`;
  await eventually(() => pgRow('jack'), (r) => r !== null, "jack's MyLittleAD row");
  const adShadow = (await tally.services.repo.shadows.linkedTo(jack)).find((s) => s.resourceRef === AD_OID)!;
  expect(adShadow).toBeDefined();

  await resources.ldap.del(jackDn);
  const change = await runTallyCli(tally.env, ['change', LDAP, jackDn, '--wait']);
  expect(change).toMatchObject({ code: 0, stderr: '' });

  await eventually(() => tally.services.repo.users.get(jack.oid), (u) => u === null, 'jack deleted');
  expect(await pgRow('jack')).toBeNull();
  expect(await tally.services.repo.shadows.get(adShadow.oid)).toBeNull();
  expect(change.stdout).toContain(`${jackDn}: deleted: deleteFocus: user jack: deleteUser delete-user:${jack.oid}`);
  const result = (await tally.services.client.workflow.getHandle(`delete-user:${jack.oid}`).result()) as { state: string; accounts: Array<{ resource: string; action: string; state: string }> };
  expect(result.state).toBe('deleted');
  expect(result.accounts).toEqual(expect.arrayContaining([expect.objectContaining({ resource: 'MyLittleAD', action: 'delete', state: 'done' })]));
}, 120_000);

test("MyLittleAD's policy disables instead of deleting: deleteFocus deletes gibbs, his row stays disabled and ownerless", async () => {
  const adYaml = path.join(resources.examples, 'resources', 'hr-postgres.yaml');
  writeFileSync(adYaml, readFileSync(adYaml, 'utf8').replace('\n      activation:\n', '\n      activation:\n        deprovisioning: { action: disable }\n'));
  const gibbsYaml = path.join(resources.examples, 'gibbs.yaml');
  writeFileSync(gibbsYaml, `kind: User\nname: gibbs\ngivenName: Joshamee\nfamilyName: Gibbs\nassignment:\n  - accountConstruction: { resourceRef: ${LDAP_OID} }\n  - accountConstruction: { resourceRef: ${AD_OID} }\n`);
  await applyAndProvision(tally.services, [adYaml, gibbsYaml]);
  const gibbs = (await tally.services.repo.users.byRef('gibbs'))!;
  await eventually(() => pgRow('gibbs'), (r) => r?.enabled === true, "gibbs's MyLittleAD row");
  const adShadow = (await tally.services.repo.shadows.linkedTo(gibbs)).find((s) => s.resourceRef === AD_OID)!;

  const gibbsDn = `uid=gibbs,${resources.base}`;
  await resources.ldap.del(gibbsDn);
  const change = await runTallyCli(tally.env, ['change', LDAP, gibbsDn, '--wait']);
  expect(change).toMatchObject({ code: 0, stderr: '' });

  await eventually(() => tally.services.repo.users.get(gibbs.oid), (u) => u === null, 'gibbs deleted');
  expect(await pgRow('gibbs')).toMatchObject({ enabled: false });
  expect(await tally.services.repo.shadows.get(adShadow.oid)).toMatchObject({ ownerRef: null, deprovisionedAt: expect.any(String) });
}, 120_000);
