/**
 * Activation and credentials end to end on the real stack (the examples' two resources):
 * - disabling a user disables his LDAP account (businessCategory) and his PostgreSQL row (`enabled`);
 *   enabling him enables both again;
 * - a validTo a few seconds ahead disables the accounts when it passes, through the user's
 *   activationTimer workflow (one durable timer, no polling);
 * - a password set with `tally user set --password` (standard input) or over the API reaches the LDAP
 *   entry (a real bind with it succeeds) and the PostgreSQL row (as a hash), while MongoDB, the
 *   workflow histories and the API hold no plaintext;
 * - an import from a resource whose password inbound generates gives the new user a password that
 *   satisfies the value policy, and his status from the account's status attribute.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client as LdapClient, type Entry } from 'ldapts';
import type { Client as PgClient } from 'pg';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { applyConfig } from '../../src/admin/apply-config';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import { verifySaltedHash } from '../../src/connectors/password-hash';
import { policyViolations } from '../../src/model/value-policy';
import { valuePolicySchema } from '../../src/schema/config';
import { decryptSecret } from '../../src/security/secret-box';
import { createPayloadCodec } from '../../src/security/payload-codec';
import type { ProvisionUserResult } from '../../src/workflows/provision-user';
import { tallyBin } from '../support/tally-cli';
import { addFocusAndSynchronize, ldapResourceYaml } from '../support/ldap-resource-yaml';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { bindsAs } from '../support/ldap-admin';
import { applyAndProvision, startTally, eventually, listenApi, recordHistories, type TallyHarness } from '../support/tally-harness';

const EventType = temporal.api.enums.v1.EventType;
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const IMPORT_OID = 'c0c010c0-d34d-b33f-f00d-333111111199';
const TOKEN = 'activation-test-token';
const PASSWORD = 'Parley-4-Tortuga!';
const API_PASSWORD = 'Black-Pearl-7#';

const will = `kind: User
name: will
givenName: Will
familyName: Turner
assignment:
  - accountConstruction: { resourceRef: ${LDAP_OID} }
  - accountConstruction: { resourceRef: ${AD_OID} }
`;

let tally: TallyHarness;
let api: FastifyInstance;
let apiUrl: string;
let resources: ExampleResources;
let pg: PgClient;
let ou: string;
let importOu: string;
let table: string;
let willOid: string;
const willDn = () => `uid=will,ou=${ou},dc=example,dc=com`;

async function withLdap<T>(work: (ldap: LdapClient) => Promise<T>): Promise<T> {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    return await work(ldap);
  } finally {
    await ldap.unbind();
  }
}

const ldapEntry = (dn: string): Promise<Entry | null> =>
  withLdap(async (ldap) => (await ldap.search(dn, { scope: 'base', attributes: ['*'] }).catch(() => ({ searchEntries: [] }))).searchEntries[0] ?? null);

const bindsWith = (dn: string, password: string) => bindsAs(tally.stack.ldap.url, dn, password);

async function pgRow(name: string): Promise<Record<string, unknown> | null> {
  return ((await pg.query(`SELECT * FROM ${table} WHERE name = $1`, [name])).rows[0] as Record<string, unknown> | undefined) ?? null;
}

/** `bin/tally` with `input` on its standard input; rejects unless it exits 0. */
function cli(args: string[], input = ''): Promise<{ changedPaths: string[]; provisioningWorkflowId?: string; provisioning?: ProvisionUserResult }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tallyBin, args, { env: { ...process.env, ...tally.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`tally ${args.join(' ')} exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}

/** Every payload of a workflow's history, decrypted, as text, with the history's own JSON. */
async function historyText(workflowId: string): Promise<string> {
  const history = await tally.services.client.workflow.getHandle(workflowId).fetchHistory();
  const payloads: Payload[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if ('data' in node && 'metadata' in node && (node as Payload).data instanceof Uint8Array) {
      payloads.push(node as Payload);
      return;
    }
    for (const value of Object.values(node)) walk(value);
  };
  walk(history);
  const decoded = await createPayloadCodec(tally.services.key).decode(payloads);
  return [JSON.stringify(history), ...decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))].join('\n');
}

async function apiCall(pathname: string, init: RequestInit = {}) {
  return fetch(`${apiUrl}${pathname}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}

beforeAll(async () => {
  tally = await startTally('activation');
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  resources = await exampleResources(tally.stack, suffix);
  ({ pg, ou, table } = resources);
  importOu = `imported-${suffix}`;
  await resources.ldap.add(`ou=${importOu},dc=example,dc=com`, { objectClass: ['top', 'organizationalUnit'], ou: importOu });
  const config = resources.examples;
  rmSync(path.join(config, 'users', 'jack.yaml'));
  writeFileSync(path.join(config, 'users', 'will.yaml'), will);
  await applyAndProvision(tally.services, [config]);
  willOid = (await tally.services.repo.users.byRef('will'))!.oid;
  await eventually(() => tally.services.repo.shadows.ofOwner(willOid), (s) => s.length === 2 && s.every((x) => x.exists && x.pendingOperations.length === 0), "will's two accounts");
  const listening = await listenApi(tally, TOKEN);
  api = listening.api;
  apiUrl = `${listening.url}/api/v1`;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await resources?.close();
  await tally?.stop();
});

test('a new user is enabled on both accounts', async () => {
  expect((await ldapEntry(willDn()))?.businessCategory).toBeUndefined();
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: true, password_hash: null });
});

test('disabling a user disables his accounts on both resources; enabling enables them again', async () => {
  const disabled = await cli(['user', 'set', 'will', 'activation/administrativeStatus=disabled', '--wait', '--json']);
  expect(disabled.changedPaths).toEqual(['activation']);
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ activation: { administrativeStatus: 'disabled', effectiveStatus: 'disabled' } });
  expect((await ldapEntry(willDn()))?.businessCategory).toBe('disabled');
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: false });

  const response = await apiCall('/users/will', { method: 'PATCH', body: JSON.stringify({ activation: { administrativeStatus: 'enabled' } }) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { provisioningWorkflowId: string; user: { activation: unknown } };
  await tally.services.client.workflow.getHandle(body.provisioningWorkflowId).result();
  await eventually(() => pgRow('cn=will,o=Acme'), (r) => r?.enabled === true, 'the row enabled');
  expect((await ldapEntry(willDn()))?.businessCategory).toBeUndefined();
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ activation: { administrativeStatus: 'enabled', effectiveStatus: 'enabled' } });
});

test('a bad activation value is refused, naming the field', async () => {
  const response = await apiCall('/users/will', { method: 'PATCH', body: JSON.stringify({ activation: { validTo: 'tomorrow' } }) });
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({ problems: [{ field: 'activation.validTo', message: expect.stringMatching(/date and time/) }] });
});

test('a password set on standard input reaches LDAP (a real bind works) and PostgreSQL (hashed); nothing holds it in plaintext', async () => {
  expect(await bindsWith(willDn(), PASSWORD)).toBe(false);
  const set = await cli(['user', 'set', 'will', '--password', '--wait', '--json'], `${PASSWORD}\n`);
  expect(set.changedPaths).toEqual(['credentials']);
  expect(set.provisioning!.accountOperations.map((op) => op.action)).toEqual(['modify', 'modify']);
  expect(await bindsWith(willDn(), PASSWORD)).toBe(true);
  expect(await bindsWith(willDn(), 'not-the-password')).toBe(false);
  const row = await pgRow('cn=will,o=Acme');
  expect(String(row!.password_hash)).toMatch(/^\{SSHA256\}/);
  expect(verifySaltedHash(PASSWORD, String(row!.password_hash))).toBe(true);

  const stored = (await tally.inspect.users.findOne({ oid: willOid }))!;
  expect(decryptSecret(stored.credentials!.password!.encrypted, tally.services.key)).toBe(PASSWORD);
  expect(JSON.stringify(stored)).not.toContain(PASSWORD);
  const shadows = await tally.inspect.shadows.find({ ownerRef: willOid });
  expect(JSON.stringify(shadows)).not.toContain(PASSWORD);
  const audit = await tally.inspect.audit.find({ objectOid: { $in: [willOid, ...shadows.map((s) => s.oid)] } });
  expect(JSON.stringify(audit)).not.toContain(PASSWORD);
  const history = await historyText(set.provisioningWorkflowId!);
  expect(history).toContain(willOid); // the payloads were decrypted: the plaintext would show
  expect(history).not.toContain(PASSWORD);

  const shown = (await (await apiCall('/users/will')).json()) as { credentials: unknown };
  expect(shown.credentials).toEqual({ password: { set: true, changedAt: expect.any(String) } });
  expect(JSON.stringify(shown)).not.toContain(stored.credentials!.password!.encrypted);
});

test('a password set over the API replaces it; the answer does not carry it', async () => {
  const response = await apiCall('/users/will', { method: 'PATCH', body: JSON.stringify({ credentials: { password: { value: API_PASSWORD } } }) });
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).not.toContain(API_PASSWORD);
  await tally.services.client.workflow.getHandle((JSON.parse(text) as { provisioningWorkflowId: string }).provisioningWorkflowId).result();
  expect(await bindsWith(willDn(), API_PASSWORD)).toBe(true);
  expect(await bindsWith(willDn(), PASSWORD)).toBe(false);
  expect(verifySaltedHash(API_PASSWORD, String((await pgRow('cn=will,o=Acme'))!.password_hash))).toBe(true);
});

test('a password on the command line is refused', async () => {
  await expect(cli(['user', 'set', 'will', `credentials/password/value=${PASSWORD}`, '--json'])).rejects.toThrow(/never given on the command line/);
});

test('validTo disables the accounts when it passes, through one durable timer', async () => {
  const validTo = new Date(Date.now() + 12_000).toISOString();
  // The explicit administrative status would override validity: it is cleared in the same change.
  const response = await apiCall('/users/will', { method: 'PATCH', body: JSON.stringify({ activation: { administrativeStatus: null, validTo } }) });
  const set = (await response.json()) as { changedPaths: string[]; provisioningWorkflowId: string };
  expect(set.changedPaths).toEqual(['activation']);
  await tally.services.client.workflow.getHandle(set.provisioningWorkflowId).result();
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ activation: { validTo, effectiveStatus: 'enabled', validityStatus: 'in' } });
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: true });

  const timerId = `activation:${willOid}`;
  const timer = tally.services.client.workflow.getHandle(timerId);
  expect((await timer.describe()).status.name).toBe('RUNNING');

  await eventually(() => pgRow('cn=will,o=Acme'), (r) => r?.enabled === false, 'the row disabled when validTo passed', 30_000);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(validTo));
  await eventually(() => ldapEntry(willDn()), (e) => e?.businessCategory === 'disabled', 'the LDAP entry disabled', 10_000);
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ activation: { effectiveStatus: 'disabled', validityStatus: 'after' } });

  const result = (await timer.result()) as { passed: string[] };
  expect(result.passed).toEqual([validTo]);
  const events = (await timer.fetchHistory()).events ?? [];
  const count = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  expect(count(EventType.EVENT_TYPE_TIMER_STARTED)).toBe(1);
  expect(count(EventType.EVENT_TYPE_TIMER_FIRED)).toBe(1);
  expect(count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(1);
  await recordHistories(tally.stack.temporal, { 'activation-timer-validity': timerId });
});

test("a validity that passed while its timer was lost is found by reconciliation, even where an earlier run found the account in agreement", async () => {
  const validTo = new Date(Date.now() + 6_000).toISOString();
  const response = await apiCall('/users/will', { method: 'PATCH', body: JSON.stringify({ activation: { administrativeStatus: null, validTo } }) });
  await tally.services.client.workflow.getHandle(((await response.json()) as { provisioningWorkflowId: string }).provisioningWorkflowId).result();
  await eventually(() => ldapEntry(willDn()), (e) => e !== null && e.businessCategory === undefined, 'the LDAP entry enabled');
  // The timer is lost (as if terminated by mistake): only reconciliation can see the validity pass.
  await tally.services.client.workflow.getHandle(`activation:${willOid}`).terminate('simulating a lost validity timer');

  const reconcile = async () => {
    const started = await startResourceRun(tally.services, { type: 'recon', resource: 'OpenDJ LDAP directory' });
    return waitForRun(tally.services, started.workflowId, () => undefined, 200);
  };
  // Before validTo: the account agrees, and this worker remembers so.
  await reconcile();
  expect(Date.now()).toBeLessThan(Date.parse(validTo));
  expect((await ldapEntry(willDn()))?.businessCategory).toBeUndefined();

  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(validTo) - Date.now()) + 500));
  await reconcile();
  await eventually(() => ldapEntry(willDn()), (e) => e?.businessCategory === 'disabled', 'the LDAP entry disabled by the reconciliation', 20_000);
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ activation: { validTo, effectiveStatus: 'disabled', validityStatus: 'after' } });
});

test('an import gives a user without a password a generated one that satisfies the policy, and his status from the account', async () => {
  const policy = { minLength: 16, maxLength: 16, minLowercase: 2, minUppercase: 2, minDigits: 2, minSpecial: 2 };
  const base = `ou=${importOu},dc=example,dc=com`;
  const resource = ldapResourceYaml({
    oid: IMPORT_OID,
    name: 'Imported directory',
    ldap: { url: tally.stack.ldap.url, bindDn: tally.stack.ldap.serviceDn },
    base,
    tail: `      activation:
        administrativeStatus: { attribute: businessCategory, disabledValue: disabled, inbound: { strength: weak } }
      credentials:
        password:
          attribute: userPassword
          inbound: { expression: { generate: {} } }
          valuePolicy: ${JSON.stringify(policy)}
${addFocusAndSynchronize}`,
  });
  const file = path.join(resources.examples, 'imported.yaml');
  writeFileSync(file, resource);
  await applyConfig(tally.services.repo, tally.services.key, [file]);
  await withLdap(async (ldap) => {
    await ldap.add(`uid=elizabeth,${base}`, { objectClass: ['inetOrgPerson'], uid: 'elizabeth', cn: 'Elizabeth Swann', sn: 'Swann' });
    await ldap.add(`uid=norrington,${base}`, { objectClass: ['inetOrgPerson'], uid: 'norrington', cn: 'James Norrington', sn: 'Norrington', businessCategory: 'disabled' });
  });

  const started = await startResourceRun(tally.services, { type: 'import', resource: IMPORT_OID });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(summary).toMatchObject({ phase: 'finished', errors: 0 });

  const elizabeth = await tally.services.repo.users.byRef('elizabeth');
  const generated = decryptSecret(elizabeth!.credentials!.password!.encrypted, tally.services.key);
  expect(policyViolations(generated, valuePolicySchema.parse(policy))).toEqual([]);
  expect(elizabeth!.activation).toMatchObject({ administrativeStatus: 'enabled' });
  expect(await tally.services.repo.users.byRef('norrington')).toMatchObject({ activation: { administrativeStatus: 'disabled', effectiveStatus: 'disabled' } });
  // The template gives everybody a MyLittleAD row: it is created with the generated password, disabled for norrington.
  const row = await eventually(() => pgRow('cn=elizabeth,o=Acme'), (r) => r !== null, "elizabeth's row");
  expect(verifySaltedHash(generated, String(row!.password_hash))).toBe(true);
  expect(await eventually(() => pgRow('cn=norrington,o=Acme'), (r) => r !== null, "norrington's row")).toMatchObject({ enabled: false });
  expect(JSON.stringify(await tally.inspect.users.find({}))).not.toContain(generated);
  expect(await historyText(started.workflowId)).not.toContain(generated);
});
