/**
 * Reconciliation on the real stack: changes made behind Tally's back on the LDAP directory (accounts
 * created, changed and deleted with an LDAP client, never reported) are found by reconcileResource and
 * handled by the synchronization routine; an unchanged resource costs no change at all.
 */
import { runTallyCli } from '../support/tally-cli';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Change, Attribute, type Client as LdapClient } from 'ldapts';
import type { Client as PgClient } from 'pg';
import { WorkflowFailedError } from '@temporalio/client';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import type { RunSummary } from '../../src/workflows/resource-run';
import { rootCause } from '../../src/admin/root-cause';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { applyAndProvision, startTally, eventually, listenApi, recordHistories, type TallyHarness } from '../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: ExampleResources;
let pg: PgClient;
let ldap: LdapClient;
let table: string;
let ou: string;
const dn = (uid: string) => `uid=${uid},ou=${ou},dc=example,dc=com`;

async function reconcile(): Promise<RunSummary> {
  const started = await startResourceRun(tally.services, { type: 'recon', resource: 'OpenDJ LDAP directory' });
  expect(started.joined).toBe(false);
  return waitForRun(tally.services, started.workflowId, () => undefined, 200);
}

async function ldapEntry(uid: string): Promise<Record<string, string> | null> {
  const { searchEntries } = await ldap.search(`ou=${ou},dc=example,dc=com`, { filter: `(uid=${uid})`, attributes: ['uid', 'cn', 'description', 'title', 'sn'] });
  return (searchEntries[0] as unknown as Record<string, string>) ?? null;
}

async function pgRow(login: string): Promise<Record<string, string> | null> {
  return ((await pg.query(`SELECT * FROM ${table} WHERE login = $1`, [login])).rows[0] as Record<string, string> | undefined) ?? null;
}

async function addPerson(uid: string, cn: string, sn: string): Promise<void> {
  await ldap.add(dn(uid), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, cn, sn, givenName: cn.split(' ')[0] });
}

async function settled(): Promise<void> {
  await eventually(
    () => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }),
    (n) => n === 0,
    'no pending operations',
  );
}

beforeAll(async () => {
  tally = await startTally('recon');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  ({ ldap, pg, ou, table } = resources);
  const { examples } = resources;
  // The directory's description is Tally's to set: a strong mapping, corrected by reconciliation.
  const ldapYaml = path.join(examples, 'resources', 'ldap.yaml');
  writeFileSync(ldapYaml, readFileSync(ldapYaml, 'utf8').replace('outbound: { expression: { value: Created by IDM } }', 'outbound: { strength: strong, expression: { value: Created by IDM } }'));
  // jack gets a MyLittleAD account too, so a change of his directory account can flow on to it.
  const jackYaml = path.join(examples, 'users', 'jack.yaml');
  writeFileSync(jackYaml, `${readFileSync(jackYaml, 'utf8')}  - construction: { resourceRef: ${AD_OID} }\n`);
  writeFileSync(path.join(examples, 'users', 'anne.yaml'), 'kind: User\nname: anne\nfullName: Anne Bonny\ngivenName: Anne\nfamilyName: Bonny\n');
  await applyAndProvision(tally.services, [examples], { wait: false });
  await eventually(() => ldapEntry('jack'), (e) => e !== null, "jack's LDAP account");
  await eventually(() => pgRow('anne'), (r) => r !== null, "anne's PostgreSQL row");
  await eventually(() => pgRow('jack'), (r) => r !== null, "jack's PostgreSQL row");
  await settled();
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('an unchanged directory: every account is seen, none is synchronized', async () => {
  await reconcile(); // the first run may refresh caches written before the accounts were read back
  const summary = await reconcile();
  expect(summary).toMatchObject({ phase: 'finished', seen: 1, unchanged: 1, synchronized: 0, errors: 0 });
  const runs = await tally.services.repo.runs.list({ resourceRef: LDAP_OID, limit: 5 });
  expect(runs[0]).toMatchObject({ state: 'finished', type: 'recon', stats: expect.objectContaining({ seen: 1, unchanged: 1 }) });
}, 120_000);

test('accounts created and changed behind Tally\'s back: unmatched -> new user, unlinked -> linked, inbound and strong outbound', async () => {
  await addPerson('will', 'William Turner', 'Turner'); // nobody: addFocus
  await addPerson('anne', 'Anne Bonny', 'Bonny'); // correlates to user anne: link
  await ldap.modify(dn('jack'), [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: ['Captain Jack Sparrow'] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: ['changed by hand'] }) }),
  ]);

  const summary = await reconcile();
  expect(summary).toMatchObject({ seen: 3, synchronized: 3, errors: 0 });
  expect(summary.stats).toMatchObject({ unmatched: 1, unlinked: 1, linked: 1 });

  const will = await tally.services.repo.users.byRef('will');
  expect(will).toMatchObject({ fullName: 'William Turner', familyName: 'Turner' });
  const anne = await tally.services.repo.users.byRef('anne');
  const anneShadows = await tally.services.repo.shadows.ofOwner(anne!.oid);
  expect(anneShadows.map((s) => s.resourceRef).sort()).toEqual([LDAP_OID, AD_OID].sort());

  // cn flowed in (fullName) and on to MyLittleAD; the strong description was put back.
  expect((await tally.services.repo.users.byRef('jack'))!.fullName).toBe('Captain Jack Sparrow');
  await eventually(() => pgRow('jack'), (r) => r?.cn === 'Captain Jack Sparrow', "jack's cn on MyLittleAD");
  expect((await ldapEntry('jack'))!.description).toBe('Created by IDM');
  // The template gave will a MyLittleAD account.
  await eventually(() => pgRow('will'), (r) => r !== null, "will's MyLittleAD row");
  await settled();

  await recordHistories(tally.stack.temporal, { 'reconcile-resource-behind-the-back': `recon:${LDAP_OID}` });

  const again = await reconcile();
  expect(again).toMatchObject({ seen: 3, unchanged: 3, synchronized: 0 });
}, 120_000);

test('accounts deleted behind Tally\'s back: an assigned one is created again, an unassigned one is unlinked', async () => {
  const jackShadowBefore = (await tally.services.repo.shadows.ofOwner((await tally.services.repo.users.byRef('jack'))!.oid)).find((s) => s.resourceRef === LDAP_OID)!;
  await ldap.del(dn('jack')); // the Pirate role still asks for it
  await ldap.del(dn('will')); // nobody asks for it

  const summary = await reconcile();
  expect(summary.stats).toMatchObject({ deleted: 2 });
  expect(summary.errors).toBe(0);

  await eventually(() => ldapEntry('jack'), (e) => e !== null && e.title === 'Pirate', "jack's LDAP account created again");
  await settled();
  const jack = await tally.services.repo.users.byRef('jack');
  const jackLdap = (await tally.services.repo.shadows.ofOwner(jack!.oid)).filter((s) => s.resourceRef === LDAP_OID);
  expect(jackLdap).toHaveLength(1);
  expect(jackLdap[0].oid).not.toBe(jackShadowBefore.oid);
  expect(await tally.services.repo.shadows.get(jackShadowBefore.oid)).toMatchObject({ exists: false, ownerRef: null, situation: 'deleted' });

  const will = await tally.services.repo.users.byRef('will');
  expect(will).not.toBeNull();
  expect((await tally.services.repo.shadows.ofOwner(will!.oid)).map((s) => s.resourceRef)).toEqual([AD_OID]);
  expect(await ldapEntry('will')).toBeNull();
}, 120_000);

test('phase one finishes an operation stored but never executed (a crash between storing and starting it)', async () => {
  const anne = await tally.services.repo.users.byRef('anne');
  const shadow = (await tally.services.repo.shadows.ofOwner(anne!.oid)).find((s) => s.resourceRef === LDAP_OID)!;
  const now = new Date().toISOString();
  await tally.services.repo.shadows.patch(shadow.oid, {
    set: {
      pendingOperations: [
        { id: 'stranded-1', type: 'modify', delta: [{ path: 'title', replace: ['Quartermaster'] }], attemptNumber: 0, requestTimestamp: now, result: { status: 'in-progress' } },
      ],
    },
  });
  const summary = await reconcile();
  expect(summary.stats.operationsResumed).toBeGreaterThanOrEqual(1);
  await eventually(() => ldapEntry('anne'), (e) => e?.title === 'Quartermaster', "anne's title from the stranded operation");
  await settled();
}, 120_000);

test('started as the Temporal UI does (any workflow id, only the resource named); bad input fails at once', async () => {
  const handle = await tally.services.client.workflow.start('reconcileResource', {
    taskQueue: tally.settings.TALLY_TASK_QUEUE,
    workflowId: `typed-in-the-ui-${Date.now()}`,
    args: [{ resource: 'OpenDJ LDAP directory' }],
  });
  const summary = (await handle.result()) as RunSummary;
  expect(summary).toMatchObject({ phase: 'finished', resourceOid: LDAP_OID, seen: 2 });

  const bad = await tally.services.client.workflow.start('reconcileResource', {
    taskQueue: tally.settings.TALLY_TASK_QUEUE,
    workflowId: `bad-input-${Date.now()}`,
    args: [{ resource: 'No Such Directory' }],
  });
  const failure = await bad.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(rootCause(failure)).toMatch(/resource 'No Such Directory' is not configured/);
  const runs = await tally.services.repo.runs.list({ resourceRef: LDAP_OID, limit: 50 });
  expect(runs.filter((r) => r.state === 'running')).toHaveLength(0);
}, 120_000);

const tallyCli = (args: string[]) => runTallyCli(tally.env, args);

test('tally reconcile --wait follows the run to its statistics; tally runs lists it; an unknown resource is refused', async () => {
  const run = await tallyCli(['reconcile', 'OpenDJ LDAP directory', '--wait']);
  expect(run.stderr).toMatch(/started reconcileResource recon:c0c010c0-d34d-b33f-f00d-333111111111 on OpenDJ LDAP directory/);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/reconcileResource of OpenDJ LDAP directory finished: .*2 seen, 0 synchronized, 2 unchanged, 0 errors/);
  expect(run.stdout).toMatch(/counts: .*seen=2/);

  const runs = await tallyCli(['runs', 'OpenDJ LDAP directory', '--json']);
  expect(runs.code).toBe(0);
  const listed = JSON.parse(runs.stdout) as Array<{ state: string; type: string; stats: Record<string, number> }>;
  expect(listed[0]).toMatchObject({ state: 'finished', type: 'recon', stats: expect.objectContaining({ seen: 2, unchanged: 2 }) });

  const unknown = await tallyCli(['reconcile', 'Atlantis']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/no resource 'Atlantis'/);
}, 120_000);

test('POST /api/v1/resources/{ref}/reconciliation starts a run; its progress and the runs list are served', async () => {
  const { api, url } = await listenApi(tally, 'recon-token');
  try {
    const call = (p: string, init: RequestInit = {}) =>
      fetch(`${url}/api/v1${p}`, { ...init, headers: { authorization: 'Bearer recon-token', 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const started = await call(`/resources/${encodeURIComponent('OpenDJ LDAP directory')}/reconciliation`, { method: 'POST', body: JSON.stringify({ pageSize: 1 }) });
    expect(started.status).toBe(202);
    const { workflowId } = (await started.json()) as { workflowId: string };
    const summary = (await tally.services.client.workflow.getHandle(workflowId).result()) as RunSummary;
    expect(summary.seen).toBeGreaterThan(0);
    const progress = await call(`/runs/${encodeURIComponent(workflowId)}/progress`);
    expect(progress.status).toBe(200);
    expect(await progress.json()).toMatchObject({ phase: 'finished', seen: summary.seen, unchanged: summary.unchanged, synchronized: summary.synchronized });
    const runs = (await (await call(`/runs?resource=${LDAP_OID}&limit=1`)).json()) as Array<{ workflowId: string; state: string }>;
    expect(runs).toEqual([expect.objectContaining({ workflowId, state: 'finished' })]);

    expect((await call('/resources/Atlantis/import', { method: 'POST', body: '{}' })).status).toBe(404);
    const bad = await call(`/resources/${LDAP_OID}/import`, { method: 'POST', body: JSON.stringify({ pageSize: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ problems: [expect.objectContaining({ field: 'pageSize' })] });
  } finally {
    await api.close();
  }
}, 120_000);

test('an import treats every account as just created: a new one becomes a user with his MyLittleAD account, the others need nothing; one that fails is counted and kept', async () => {
  await addPerson('gibbs', 'Joshamee Gibbs', 'Gibbs');
  // No uid: the inbound mappings give the new user no name, so this account fails alone.
  const nameless = `cn=Nobody Known,ou=${ou},dc=example,dc=com`;
  await ldap.add(nameless, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], cn: 'Nobody Known', sn: 'Known' });
  const started = await startResourceRun(tally.services, { type: 'import', resource: LDAP_OID });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  await ldap.del(nameless);
  expect(summary).toMatchObject({ type: 'import', phase: 'finished', errors: 1, synchronized: 1 });
  expect(summary.lastErrors).toEqual([expect.objectContaining({ object: nameless, message: expect.stringMatching(/give the new user no name/) })]);
  expect(summary.stats).toMatchObject({ unmatched: 1 });
  expect(summary.unchanged).toBe(summary.seen - 2);
  const [run] = await tally.services.repo.runs.list({ resourceRef: LDAP_OID, limit: 1 });
  expect(run).toMatchObject({ type: 'import', state: 'finished', stats: expect.objectContaining({ errors: 1 }), errors: [expect.objectContaining({ object: nameless })] });
  expect(await tally.services.repo.users.byRef('gibbs')).toMatchObject({ fullName: 'Joshamee Gibbs', familyName: 'Gibbs' });
  await eventually(() => pgRow('gibbs'), (r) => r !== null && r.cn === 'Joshamee Gibbs', "gibbs's MyLittleAD row");
  await recordHistories(tally.stack.temporal, { 'import-from-resource': started.workflowId });
}, 120_000);
