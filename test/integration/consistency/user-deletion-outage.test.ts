/**
 * Deleting a user while his resource is down, and giving up or retrying an operation that waits for it,
 * on a private slapd this file stops and starts: the delete waits as a pending operation, the deleteUser
 * workflow is found as waiting-for-resource and the user is kept until the account is gone; `tally
 * operation retry` wakes a waiting operation, `tally operation cancel` gives it up (marked cancelled,
 * audited) and `tally status` no longer lists it.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { runTallyCli, tallyBin } from '../../support/tally-cli';
import { eventually, recordHistories } from '../../support/tally-harness';
import { getStack } from '../../support/stack';
import { ldapEntries, startOutageStack, userYaml, type OutageStack } from './outage-stack';
import { deleteUser } from '../../../src/admin/user-deletion';
import { buildApi } from '../../../src/api/server';
import type { DeleteUserResult } from '../../../src/workflows/delete-user';

let s: OutageStack;

beforeAll(async () => {
  s = await startOutageStack('user-deletion');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

async function statusOf(workflowId: string) {
  const listed = await runTallyCli(s.env, ['status', '--json']);
  expect(listed.code).toBe(0);
  return (JSON.parse(listed.stdout) as Array<{ workflowId: string; state: string; details: string }>).find((w) => w.workflowId === workflowId);
}

test('a user deleted while his resource is down keeps waiting, and is gone with his account when it is back', async () => {
  await s.applyAndProvision(userYaml(s.resourceOid, 'davy', 'Davy Jones'), { wait: true });
  await s.settled();
  const davy = (await s.services.repo.users.byRef('davy'))!;
  const [shadow] = await s.shadowsOf('davy');
  expect(await ldapEntries(s, '(uid=davy)')).toHaveLength(1);

  await s.slapd.stop();
  const started = await deleteUser(s.services, 'davy', 'user');
  const waiting = await eventually(() => statusOf(started.workflowId), (w) => w?.state === 'waiting-for-resource', 'the deletion waiting for the resource in tally status');
  expect(waiting!.details).toMatch(/^deleting user davy: waiting for account deletes on Outage LDAP/);
  // The user stays (marked) until his account is handled; the account's delete waits on its dead shadow.
  expect(await s.services.repo.users.get(davy.oid)).toMatchObject({ name: 'davy', deletion: { workflowId: started.workflowId } });
  expect(await s.services.repo.shadows.get(shadow.oid)).toMatchObject({ dead: true, ownerRef: null, pendingOperations: [expect.objectContaining({ type: 'delete', result: expect.objectContaining({ status: 'postponed' }) })] });

  await s.slapd.restart();
  const result = await s.services.client.workflow.getHandle<(raw: unknown) => Promise<DeleteUserResult>>(started.workflowId).result();
  expect(result).toMatchObject({ state: 'deleted', accounts: [expect.objectContaining({ shadowOid: shadow.oid, action: 'delete', state: 'done' })] });
  expect(await ldapEntries(s, '(uid=davy)')).toEqual([]);
  expect(await s.services.repo.users.get(davy.oid)).toBeNull();
  expect(await s.services.repo.shadows.get(shadow.oid)).toBeNull();
  await recordHistories(getStack().temporal, { 'delete-user-while-down': started.workflowId });
});

test('tally user delete --wait says what it waits for while the resource is down, and ends when it is back', async () => {
  await s.applyAndProvision(userYaml(s.resourceOid, 'bootstrap', 'Bootstrap Bill'), { wait: true });
  await s.settled();
  await s.slapd.stop();
  let stderr = '';
  const child = spawn(tallyBin, ['user', 'delete', 'bootstrap', '--wait'], { env: { ...process.env, ...s.env } });
  child.stderr.on('data', (d) => (stderr += d));
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await eventually(async () => stderr, (e) => /deleting user bootstrap: waiting for account deletes on Outage LDAP/.test(e), 'the waiting line on stderr', 60_000);
  await s.slapd.restart();
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/delete +Outage LDAP .*: done/);
  expect(stdout).toMatch(/user bootstrap deleted/);
  expect(await ldapEntries(s, '(uid=bootstrap)')).toEqual([]);
});

test('a deletion waited for past its timeout answers what it waits for (API 202, CLI exit 1) and goes on', async () => {
  await s.applyAndProvision(userYaml(s.resourceOid, 'norrington', 'James Norrington'), { wait: true });
  await s.settled();
  await s.slapd.stop();
  const api = buildApi({ services: s.services, token: 'deletion-timeout' });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const users = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/api/v1/users`;
  const remove = (query: string) => fetch(`${users}/norrington${query}`, { method: 'DELETE', headers: { authorization: 'Bearer deletion-timeout' } });
  try {
    const bad = await remove('?timeout=1s');
    expect({ status: bad.status, body: await bad.json() }).toMatchObject({ status: 400, body: { problems: [expect.objectContaining({ field: 'timeout' })] } });

    const waited = await remove('?wait=true&timeout=2s');
    expect(waited.status).toBe(202);
    const body = (await waited.json()) as { workflowId: string; waiting: string; outcome?: unknown };
    expect(body.outcome).toBeUndefined();
    expect(body.waiting).toMatch(new RegExp(`^gave up waiting after 2 s for ${body.workflowId}: deleting user norrington: waiting for account deletes on Outage LDAP`));

    const cli = await runTallyCli(s.env, ['user', 'delete', 'norrington', '--wait', '--timeout', '1s']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(new RegExp(`^tally: gave up waiting after 1 s for ${body.workflowId}: `, 'm'));

    await s.slapd.restart();
    const done = await remove('?wait=true');
    // Gone meanwhile, or gone by the time this wait ends.
    expect([200, 404]).toContain(done.status);
    await eventually(() => s.services.repo.users.byRef('norrington'), (u) => u === null, 'norrington deleted once the resource is back');
    expect(await ldapEntries(s, '(uid=norrington)')).toEqual([]);
  } finally {
    await api.close();
  }
});

test('a waiting operation is retried at once, or given up: cancelled on its shadow, audited, and gone from tally status', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'calypso', 'Tia Dalma'));
  const [shadow] = await eventually(() => s.shadowsOf('calypso'), (list) => list.length === 1 && list[0].pendingOperations[0]?.result.status === 'postponed', "calypso's postponed add");
  const workflowId = `provision:${shadow.oid}`;
  await eventually(() => statusOf(workflowId), (w) => w?.state === 'waiting-for-resource', 'the waiting add in tally status');

  const attempts = shadow.pendingOperations[0].attemptNumber;
  const retried = await runTallyCli(s.env, ['operation', 'retry', workflowId, '--json']);
  expect(retried.code).toBe(0);
  expect(JSON.parse(retried.stdout)).toMatchObject({ done: 'woken' });
  // Woken, it tried again at once (the resource is still down: one more attempt).
  await eventually(() => s.services.repo.shadows.get(shadow.oid), (sh) => (sh?.pendingOperations[0]?.attemptNumber ?? 0) > attempts, 'another attempt after the retry', 20_000);

  const cancelled = await runTallyCli(s.env, ['operation', 'cancel', workflowId]);
  expect(cancelled.code).toBe(0);
  expect(cancelled.stdout).toMatch(/cancelled pending add of shadow .* \(never created: shadow removed\)/);
  // The add is given up: no shadow for an account that never existed, the user's link to it gone.
  expect(await s.services.repo.shadows.get(shadow.oid)).toBeNull();
  expect((await s.services.repo.users.byRef('calypso'))!.linkRef).toEqual([]);
  expect(await s.inspect.audit.findOne({ objectOid: shadow.oid, message: /pending add cancelled/ })).toMatchObject({ delta: { cancelled: 'add' } });
  await eventually(() => statusOf(workflowId), (w) => w === undefined, 'tally status without the cancelled operation');
  const ended = await s.services.client.workflow.getHandle(workflowId).describe();
  expect(ended.status.name).toBe('COMPLETED');

  await s.slapd.restart();
  // Nothing was created behind the operator's back.
  await new Promise((r) => setTimeout(r, 1500));
  expect(await ldapEntries(s, '(uid=calypso)')).toEqual([]);
});
