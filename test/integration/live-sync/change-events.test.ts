/**
 * Change events from services, on the real stack: 400 events posted in parallel (and 100 of them sent
 * again) are each applied exactly once; events signalled to the resource's liveSync workflow are applied
 * the same way; bad input names the field.
 */
import { randomBytes } from 'node:crypto';
import { applyConfig } from '../../../src/admin/apply-config';
import { liveSyncStatuses } from '../../../src/admin/live-sync';
import { signals } from '../../../src/workflows/workflow-ids';
import { withConcurrency } from '../../../src/support/concurrency';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { startTally, eventually, listenApi, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const EVENTS = 400;
const TOKEN = 'events-token';
let tally: TallyHarness;
let resources: ExampleResources;
let apiUrl: string;
let closeApi: () => Promise<void>;
const dn = (uid: string) => resources.accountDn(uid);

const post = (body: unknown) =>
  fetch(`${apiUrl}/api/v1/changes`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  tally = await startTally('events');
  resources = await exampleResources(tally.stack, `events_${randomBytes(4).toString('hex')}`);
  const { ldap } = resources;
  // The examples without jack: unmatched directory accounts become users with a MyLittleAD row each.
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await withConcurrency(
    Array.from({ length: EVENTS + 1 }, (_, i) => i),
    16,
    async (i) => {
      await ldap.add(dn(`crew${i}`), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: `crew${i}`, cn: `Crew ${i}`, sn: `${i}` });
    },
  );
  const listening = await listenApi(tally, TOKEN);
  apiUrl = listening.url;
  closeApi = () => listening.api.close();
}, 240_000);

afterAll(async () => {
  await closeApi?.();
  await resources?.close();
  await tally?.stop();
});

test(`${EVENTS} events posted in parallel, 100 of them twice: each is applied exactly once`, async () => {
  const events = Array.from({ length: EVENTS }, (_, i) => ({ resource: 'OpenDJ LDAP directory', account: dn(`crew${i}`), changeType: 'add', eventId: `hr-${i}` }));
  const repeated = events.slice(0, 100);
  const answers: Array<{ accepted: number; duplicates: number }> = [];
  await withConcurrency([...events, ...repeated], 50, async (event) => {
    const response = await post(event);
    expect(response.status).toBe(202);
    answers.push((await response.json()) as { accepted: number; duplicates: number });
  });
  expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(EVENTS);
  expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(100);

  await eventually(() => tally.inspect.users.count({ name: /^crew/ }), (n) => n === EVENTS, 'a user per event', 120_000);
  await eventually(() => tally.inspect.changeEvents.count({ done: false }), (n) => n === 0, 'every event applied', 60_000);
  expect(await tally.inspect.changeEvents.count({ resourceRef: LDAP_OID })).toBe(EVENTS);
  // Applied once: one shadow per account, each linked to its own user.
  expect(await tally.inspect.shadows.count({ resourceRef: LDAP_OID, situation: 'linked' })).toBe(EVENTS);
}, 240_000);

test('events signalled to the liveSync workflow are applied like posted ones; a bad body names the field', async () => {
  await tally.services.client.workflow.getHandle(`livesync:${LDAP_OID}`).signal(signals.changeEvents, [{ account: dn(`crew${EVENTS}`), changeType: 'add', eventId: 'signal-1' }]);
  await eventually(() => tally.services.repo.users.byRef(`crew${EVENTS}`), (u) => u !== null, 'the signalled user');

  const bad = await post([{ resource: 'OpenDJ LDAP directory', changeType: 'rename', account: 'x' }]);
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ problems: [expect.objectContaining({ field: '0.changeType' })] });
  const unknown = await post({ resource: 'Atlantis', account: 'x' });
  expect(unknown.status).toBe(404);
}, 120_000);

test('a resource with too many events waiting answers 429 with Retry-After, and takes events again once they are applied', async () => {
  await tally.services.client.workflow.getHandle(`livesync:${LDAP_OID}`).signal(signals.pauseLiveSync);
  // Paused for real: a poll running when the signal came would apply the events below at once.
  await eventually(async () => (await liveSyncStatuses(tally.services, LDAP_OID))[0]?.status?.state, (state) => state === 'paused', 'live sync paused');
  const settings = tally.services.settings as { TALLY_MAX_EVENT_BACKLOG: number };
  const limit = settings.TALLY_MAX_EVENT_BACKLOG;
  settings.TALLY_MAX_EVENT_BACKLOG = 3;
  try {
    const events = [0, 1, 2].map((i) => ({ resource: LDAP_OID, account: dn(`crew${i}`), eventId: `backlog-${i}` }));
    expect((await post(events)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1100)); // the backlog count is looked at again after a second
    const refused = await post({ resource: LDAP_OID, account: dn('crew3'), eventId: 'backlog-3' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ message: expect.stringMatching(/3 change events waiting/) });

    await tally.services.client.workflow.getHandle(`livesync:${LDAP_OID}`).signal(signals.resumeLiveSync);
    await eventually(() => tally.services.repo.liveSync.countPendingChangeEvents(LDAP_OID), (n) => n === 0, 'the waiting events applied');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post({ resource: LDAP_OID, account: dn('crew3'), eventId: 'backlog-3' })).status).toBe(202);
  } finally {
    settings.TALLY_MAX_EVENT_BACKLOG = limit;
  }
}, 120_000);
