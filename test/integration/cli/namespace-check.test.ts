/**
 * One Temporal namespace per Tally: `tally worker` and `tally api` refuse a namespace that does not exist or
 * lacks Tally's search attributes, and say what to run; `tally setup-namespace` makes it ready.
 */
import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { getStack } from '../../support/stack';
import { runTallyCli } from '../../support/tally-cli';
import { tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const ATTRIBUTES = ['TallyResource', 'TallyUser', 'TallyShadow', 'TallyOperation', 'TallyState'];

const stack = getStack();
const address = stack.temporal.address;
const freshNamespace = (what: string) => `tally-${what}-${randomBytes(4).toString('hex')}`;
const envFor = (namespace: string) => ({ ...tallyTestEnv(stack, 'nscheck', namespace), TALLY_API_TOKEN: 'a-test-token', TALLY_API_PORT: '1' });

test('a worker and an API on a namespace that does not exist refuse to start and say what to run', async () => {
  const namespace = freshNamespace('missing');
  for (const command of ['worker', 'api']) {
    const result = await runTallyCli(envFor(namespace), [command]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`tally: Temporal namespace '${namespace}' does not exist on ${address}. Each Tally instance needs a namespace of its own (TEMPORAL_NAMESPACE)`);
    expect(result.stderr).toContain('run `tally setup-namespace`');
    expect(result.stderr).toContain(`temporal operator namespace create --address ${address} --namespace ${namespace}`);
    expect(result.stderr).toContain(
      `temporal operator search-attribute create --address ${address} --namespace ${namespace} ${ATTRIBUTES.map((n) => `--name ${n}`).join(' ')} --type Keyword`,
    );
  }
});

test("a namespace without Tally's search attributes is refused until `tally setup-namespace` adds them", async () => {
  const namespace = freshNamespace('bare');
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msNumberToTs(86_400_000) });
  } finally {
    await connection.close();
  }
  const env = envFor(namespace);

  const refused = await runTallyCli(env, ['worker']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`tally: Temporal namespace '${namespace}' on ${address} lacks Tally's search attributes ${ATTRIBUTES.join(', ')}.`);
  expect(refused.stderr).not.toContain('temporal operator namespace create');

  const setUp = await runTallyCli(env, ['setup-namespace']);
  expect(setUp).toMatchObject({ code: 0, stderr: '' });
  expect(setUp.stdout).toBe(`search attributes added: ${ATTRIBUTES.join(', ')}\n`);
  const again = await runTallyCli(env, ['setup-namespace']);
  expect(again.stdout).toBe(`namespace ${namespace} is ready: it exists and has Tally's search attributes\n`);

  const worker = await startWorkerProcess(env);
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
});

test('`tally setup-namespace` creates a namespace that does not exist, with the search attributes', async () => {
  const namespace = freshNamespace('new');
  const created = await runTallyCli(envFor(namespace), ['setup-namespace', '--retention', '2d']);
  expect(created).toMatchObject({ code: 0, stderr: '' });
  expect(created.stdout).toBe(`namespace ${namespace} created (closed workflows kept 2 days)\nsearch attributes added: ${ATTRIBUTES.join(', ')}\n`);
  const connection = await Connection.connect({ address });
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(2 * 86_400);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(ATTRIBUTES));
  } finally {
    await connection.close();
  }
});
