/**
 * A mapping that can't be evaluated fails the provisioning cleanly: no endless activity retries, a typed
 * non-retryable failure naming the role, attribute and expression, and TallyState="failed" for ops.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { applyConfig } from '../../../src/admin/apply-config';
import { roleSchema } from '../../../src/schema/config';
import { examplesForStack, startTally, type TallyHarness } from '../../support/tally-harness';

let tally: TallyHarness;
beforeAll(async () => {
  tally = await startTally('model-errors');
  await applyConfig(tally.services.repo, tally.services.key, [examplesForStack(tally.stack, { ldapOu: 'people', table: 'accounts' })]);
}, 120_000);
afterAll(async () => tally?.stop());

test('a role whose script tries to reach process fails the user provisioning with TallyModelError', async () => {
  // Stored directly, as a role written by an older Tally could be: `tally apply` would refuse it.
  const role = roleSchema.parse({
    kind: 'Role',
    name: 'Escaper',
    inducement: [
      {
        construction: {
          resourceRef: 'c0c010c0-d34d-b33f-f00d-333111111111',
          attribute: [{ ref: 'title', outbound: { strength: 'strong', expression: { script: { code: "process.mainModule.require('child_process')" } } } }],
        },
      },
    ],
  });
  await tally.services.repo.config.insert('Role', { ...role, oid: 'role-escaper', version: 1, storedAt: new Date().toISOString() });
  const now = new Date().toISOString();
  await tally.services.repo.users.insert({
    oid: 'user-mallory',
    name: 'mallory',
    assignment: [{ targetRef: 'role-escaper' }],
    linkRef: [],
    version: 1,
    metadata: { createTimestamp: now, modifyTimestamp: now },
  });

  const handle = tally.services.client.workflow.getHandle(await tally.services.workflows.requestUserProvisioning({ userOid: 'user-mallory', channel: 'user' }));
  const failure = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  // The failure of the (local) activity, as the workflow reports it.
  const activityFailure = (failure as WorkflowFailedError).cause;
  const cause = (activityFailure instanceof ActivityFailure ? activityFailure.cause : activityFailure) as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('TallyModelError');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(/Escaper/);
  expect(cause.message).toMatch(/title/);
  expect(cause.message).toMatch(/process/);

  const described = await handle.describe();
  expect(described.status.name).toBe('FAILED');
  expect(described.searchAttributes.TallyState).toEqual(['failed']);
  // Ops see it in `tally status` with the reason.
  const status = await promisify(execFile)(path.join(__dirname, '..', '..', '..', 'bin', 'tally'), ['status', '--json'], { env: { ...process.env, ...tally.env }, timeout: 60_000 });
  const mine = (JSON.parse(status.stdout) as Array<{ workflowId: string; state: string; details: string }>).find((w) => w.workflowId === handle.workflowId);
  expect(mine).toMatchObject({ state: 'failed' });
  expect(mine!.details).toMatch(/Escaper.*title.*process/);

  // Nothing was attempted on any resource.
  expect(await tally.inspect.shadows.count({ ownerRef: 'user-mallory' })).toBe(0);
});
