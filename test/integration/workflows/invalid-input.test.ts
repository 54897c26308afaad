/**
 * Bad input to any workflow (as typed into the Temporal UI) fails the workflow at once with a non-retryable,
 * typed error naming the fields, instead of leaving it Running.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startTally, type TallyHarness } from '../../support/tally-harness';

let tally: TallyHarness;
beforeAll(async () => {
  tally = await startTally('invalid-input');
}, 120_000);
afterAll(async () => tally?.stop());

test.each([
  ['processChange', { channel: 'api' }, /processChange: invalid input: resourceRef: .*expected string/],
  ['processChange', { resourceRef: 'r1', channel: 'carrier-pigeon' }, /channel: Invalid option/],
  ['processChange', { resourceRef: 'r1', channel: 'api' }, /a change needs primaryIdentifier, secondaryIdentifier or currentObject/],
  ['provisionUser', { userOid: 42 }, /provisionUser: invalid input: userOid: .*expected string/],
  ['provisionUser', { userOid: 'u1', colour: 'blue' }, /Unrecognized key: "colour"/],
  ['provisionAccount', 'not an object', /provisionAccount: invalid input: \(input\): .*expected object/],
  // The short shapes people type: a name that names nothing fails as well, naming the field.
  ['processChange', { resource: 'Nowhere', account: 'uid=x' }, /^processChange: invalid input: resource: no resource 'Nowhere' \(resources: none\)$/],
  ['processChange', { resource: 'Nowhere' }, /^processChange: invalid input: \(input\): name the account: account \(its name\) or primaryIdentifier$/],
  ['processChange', { resource: 'Nowhere', account: 'uid=x', channel: 'fax' }, /^processChange: invalid input: channel: Invalid option/],
  ['processChange', { resource: 'Nowhere', account: 'uid=x', colour: 'blue' }, /Unrecognized key: "colour"/],
  ['provisionUser', { user: 'nobody' }, /^provisionUser: invalid input: user: no user 'nobody'$/],
  ['provisionUser', { user: '' }, /^provisionUser: invalid input: user: name or oid of the user$/],
  ['provisionAccount', { shadow: 42 }, /^provisionAccount: invalid input: shadow: .*expected string/],
  ['deleteUser', { user: 'nobody' }, /^deleteUser: invalid input: user: no user 'nobody'$/],
  ['deleteUser', { user: 'x', colour: 'blue' }, /^deleteUser: invalid input: .*Unrecognized key: "colour"/],
])('%s with %j fails fast', async (workflowType, input, message) => {
  const handle = await tally.services.client.workflow.start(workflowType, {
    taskQueue: tally.settings.TALLY_TASK_QUEUE,
    workflowId: `invalid-${workflowType}-${Math.random().toString(36).slice(2)}`,
    args: [input],
  });
  const failure = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('TallyInvalidInput');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(message);
  expect((await handle.describe()).status.name).toBe('FAILED');
});
