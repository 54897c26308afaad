/** `tally apply` from the outside: valid configuration is stored; one invalid file rejects the whole set. */
import { execFile } from 'node:child_process';
import { workflowIds } from '../../../src/workflows/workflow-ids';
import { endWorkflowsOfTaskQueue } from '../../support/end-workflows';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { getStack } from '../../support/stack';
import { RepositoryInspector } from '../../support/repository-inspector';
import { examplesForStack } from '../../support/tally-harness';

const tally = path.join(__dirname, '..', '..', '..', 'bin', 'tally');
const database = `apply_cli_${process.pid}_${Date.now()}`;
let inspect: RepositoryInspector;

const taskQueue = `apply-cli-${process.pid}`;

function env(): NodeJS.ProcessEnv {
  const stack = getStack();
  return {
    ...process.env,
    MONGODB_URI: stack.mongo.uri,
    TALLY_DATABASE: database,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TALLY_TASK_QUEUE: taskQueue,
    TALLY_SECRET_KEY: 'apply-cli-test-key',
  };
}

async function runTally(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(tally, args, { env: env(), timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

beforeAll(async () => {
  inspect = new RepositoryInspector(getStack().mongo.uri, database);
});
afterAll(async () => {
  await inspect?.close();
  // `tally apply` started the examples' live syncs and jack's provisionUser on this test's task queue, where
  // no worker runs: they end here, so other test files (same example oids, same workflow ids) start their own.
  const connection = await Connection.connect({ address: getStack().temporal.address });
  try {
    const client = new Client({ connection, namespace: getStack().temporal.namespace });
    const jackOid = 'c0c010c0-d34d-b33f-f00d-111111111111';
    const ids = [
      ...['c0c010c0-d34d-b33f-f00d-333111111111', 'c0c010c0-d34d-b33f-f00d-333111111112'].map(workflowIds.liveSync),
      workflowIds.provisionUser(jackOid),
      workflowIds.activationTimer(jackOid),
    ];
    await endWorkflowsOfTaskQueue(client, taskQueue, ids);
  } finally {
    await connection.close();
  }
});

test('an invalid file rejects the whole set, naming file, line, field and what was expected; nothing is stored', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-apply-'));
  writeFileSync(path.join(dir, 'a-template.yaml'), 'kind: ObjectTemplate\nname: Good Template\nmapping: []\n');
  writeFileSync(
    path.join(dir, 'b-role.yaml'),
    ['kind: Role', 'name: Broken Role', 'inducement:', '  - construction:', '      resourceRef: nowhere', '      attribute:', '        - ref: cn', '          outbound: { strength: mighty }', ''].join('\n'),
  );
  const result = await runTally(['apply', '-f', dir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`${path.join(dir, 'b-role.yaml')}:8: inducement[0].construction.attribute[0].outbound.strength`);
  expect(result.stderr).toMatch(/weak.*normal.*strong/);
  expect(await inspect.objectTemplates.count()).toBe(0);
  expect(await inspect.roles.count()).toBe(0);
});

test('the examples apply; applying them again changes nothing', async () => {
  const dir = examplesForStack(getStack(), { ldapOu: 'people', table: 'accounts' });
  const first = await runTally(['apply', '-f', dir, '--json']);
  expect(first.code).toBe(0);
  const stored = JSON.parse(first.stdout) as { stored: Array<{ kind: string; name: string; change: string }> };
  expect(stored.stored.map((s) => `${s.kind}:${s.name}:${s.change}`).sort()).toEqual([
    'ObjectTemplate:Default User Template:created',
    'Resource:MyLittleAD:created',
    'Resource:OpenDJ LDAP directory:created',
    'Role:Pirate:created',
    'User:jack:created',
  ]);
  // Both example resources ask for live sync: apply starts it (and only once).
  const started = (JSON.parse(first.stdout) as { liveSyncs: Array<{ workflowId: string }> }).liveSyncs.map((l) => l.workflowId).sort();
  expect(started).toEqual(['livesync:c0c010c0-d34d-b33f-f00d-333111111111', 'livesync:c0c010c0-d34d-b33f-f00d-333111111112']);
  const again = await runTally(['apply', '-f', dir, '--json']);
  expect((JSON.parse(again.stdout) as typeof stored).stored.filter((s) => s.change !== 'unchanged')).toEqual([]);
  expect((JSON.parse(again.stdout) as { liveSyncs: unknown[] }).liveSyncs).toEqual([]);
  const resource = await inspect.resources.findOne({ name: 'OpenDJ LDAP directory' });
  expect(resource && 'bindPassword' in resource.connector ? resource.connector.bindPassword : undefined).toEqual({ env: 'TALLY_LDAP_PASSWORD' });
});

test("applying a User file again keeps assignments made with the CLI; one the file no longer lists is removed, and the file's properties win", async () => {
  const dir = examplesForStack(getStack(), { ldapOu: 'people', table: 'accounts' });
  expect((await runTally(['apply', '-f', dir])).code).toBe(0);
  const assigned = await runTally(['user', 'assign', 'jack', '--resource', 'MyLittleAD']);
  expect(assigned.stdout).toMatch(/^jack: changed assignment$/m);
  const users = inspect.users;
  const jack = async () => (await users.findOne({ name: 'jack' }))!;
  const targets = async () => (await jack()).assignment.map((a: { targetRef?: string; accountConstruction?: { resourceRef: string } }) => a.targetRef ?? a.accountConstruction!.resourceRef);
  const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
  expect(await targets()).toEqual(['Pirate', AD_OID]);

  const again = await runTally(['apply', '-f', dir]);
  expect(again.stdout).toMatch(/^unchanged\s+User jack /m);
  expect(await targets()).toEqual(['Pirate', AD_OID]);

  // The file now gives an LDAP account instead of the Pirate role, names the MyLittleAD account the CLI gave
  // (by name, where the CLI stored the oid: still one assignment), and another fullName.
  writeFileSync(
    path.join(dir, 'users', 'jack.yaml'),
    [
      'kind: User',
      'oid: c0c010c0-d34d-b33f-f00d-111111111111',
      'name: jack',
      'fullName: Captain Jack Sparrow',
      'assignment:',
      '  - accountConstruction: { resourceRef: OpenDJ LDAP directory }',
      '  - accountConstruction: { resourceRef: MyLittleAD }',
      '',
    ].join('\n'),
  );
  const changed = await runTally(['apply', '-f', dir]);
  expect(changed.stdout).toMatch(/^updated\s+User jack /m);
  expect(await targets()).toEqual([AD_OID, 'OpenDJ LDAP directory']);
  // Properties the file no longer names are left as they were.
  expect(await jack()).toMatchObject({ fullName: 'Captain Jack Sparrow', givenName: 'Jack', familyName: 'Sparrow' });
});
