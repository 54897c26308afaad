/**
 * An operator's stop or pause of live sync lasts, through the CLI: `tally apply` (of a User file, of the
 * resource file unchanged, of everything) leaves it stopped or paused, and `tally livesync status` says who
 * held it and when; `start` and `resume` end it. `tally apply` starts live sync only where it adds `liveSync`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { liveSyncStatuses, type LiveSyncListing } from '../../../src/admin/live-sync';
import { exampleResources } from '../../support/example-resources';
import { tallyCliOk } from '../../support/tally-cli';
import { eventually, listenApi, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD = 'MyLittleAD';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;
let adYaml: string;
let adYamlWithLiveSync: string;

const tallyCli = (...args: string[]) => tallyCliOk(tally.env, args);

/** `tally livesync status <resource> --json`. */
async function listing(resource: string): Promise<LiveSyncListing> {
  return (JSON.parse(await tallyCli('livesync', 'status', resource, '--json')) as LiveSyncListing[])[0];
}

/** The same listing read in this process: what the waits poll, so they don't start a CLI process four times a second. */
const watched = async (resource: string) => (await liveSyncStatuses(tally.services, resource))[0];

const polling = (resource: string) => eventually(() => watched(resource), (l) => l.status?.state === 'polling', `live sync of ${resource} polling`);

/** `tally apply` of these paths; returns the live syncs it started and held, by resource name. */
async function apply(...paths: string[]): Promise<{ started: string[]; held: string[] }> {
  const out = JSON.parse(await tallyCli('apply', '-f', ...paths, '--json')) as { liveSyncs: Array<{ resourceName: string }>; liveSyncsHeld?: Array<{ resourceName: string }> };
  return { started: out.liveSyncs.map((l) => l.resourceName).sort(), held: (out.liveSyncsHeld ?? []).map((l) => l.resourceName).sort() };
}

beforeAll(async () => {
  tally = await startTally('livesync-operator');
  resources = await exampleResources(tally.stack, `lsop_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`);
  adYaml = path.join(resources.examples, 'resources', 'hr-postgres.yaml');
  adYamlWithLiveSync = readFileSync(adYaml, 'utf8');
  // MyLittleAD comes without live sync at first: a later apply adds it.
  const without = adYamlWithLiveSync.replace(/\nliveSync: .*\n/, '\n');
  expect(without).not.toBe(adYamlWithLiveSync);
  writeFileSync(adYaml, without);
}, 120_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('apply starts live sync where it adds liveSync; a stop and a pause outlast every apply, and status says so; start and resume end them', async () => {
  expect(await apply(resources.examples)).toEqual({ started: [LDAP], held: [] });
  await polling(LDAP_OID);
  expect((await listing(AD_OID)).workflowId).toBeNull();

  // Stopped by the operator: neither a User file, nor the resource file unchanged, nor everything again starts it.
  await tallyCli('livesync', 'stop', LDAP);
  await eventually(() => watched(LDAP_OID), (l) => l.workflowId === null, 'live sync of the directory stopped');
  const ldapFile = path.join(resources.examples, 'resources', 'ldap.yaml');
  const jackFile = path.join(resources.examples, 'users', 'jack.yaml');
  expect(await apply(jackFile)).toEqual({ started: [], held: [] });
  expect(await apply(ldapFile)).toEqual({ started: [], held: [] });
  expect(await apply(resources.examples)).toEqual({ started: [], held: [] });
  const stopped = await listing(LDAP_OID);
  expect(stopped).toMatchObject({ workflowId: null, operatorDecision: { state: 'stopped', channel: 'user' } });
  expect(await tallyCli('livesync', 'status', LDAP)).toMatch(new RegExp(`^${LDAP}: stopped by operator at ${stopped.operatorDecision!.at} \\(user\\); position `));

  // liveSync newly added to MyLittleAD: this apply starts it.
  writeFileSync(adYaml, adYamlWithLiveSync);
  expect(await apply(adYaml)).toEqual({ started: [AD], held: [] });
  await polling(AD_OID);

  // Paused by the operator: the same.
  await tallyCli('livesync', 'pause', AD);
  await eventually(() => watched(AD_OID), (l) => l.status?.state === 'paused', 'live sync of MyLittleAD paused');
  expect(await apply(jackFile)).toEqual({ started: [], held: [] });
  expect(await apply(adYaml)).toEqual({ started: [], held: [] });
  expect(await apply(resources.examples)).toEqual({ started: [], held: [] });
  const paused = await listing(AD_OID);
  expect(paused).toMatchObject({ status: { state: 'paused' }, operatorDecision: { state: 'paused', channel: 'user' } });
  expect(await tallyCli('livesync', 'status', AD)).toMatch(new RegExp(`^${AD}: paused by operator at ${paused.operatorDecision!.at} \\(user\\) \\(livesync:${AD_OID}\\)`));

  // Taken out of the YAML and put back while held: the operator's stop still wins.
  const ldapYaml = readFileSync(ldapFile, 'utf8');
  writeFileSync(ldapFile, ldapYaml.replace(/\nliveSync: .*\n/, '\n'));
  expect(await apply(ldapFile)).toEqual({ started: [], held: [] });
  writeFileSync(ldapFile, ldapYaml);
  expect(await apply(ldapFile)).toEqual({ started: [], held: [LDAP] });

  // resume and start end the operator's decision.
  expect(await tallyCli('livesync', 'resume', AD)).toContain('resume sent');
  await polling(AD_OID);
  expect((await listing(AD_OID)).operatorDecision).toBeNull();
  expect(await tallyCli('livesync', 'start', LDAP)).toMatch(/started: livesync:/);
  await polling(LDAP_OID);
  expect((await listing(LDAP_OID)).operatorDecision).toBeNull();
  expect(await tallyCli('livesync', 'status', LDAP)).toMatch(new RegExp(`^${LDAP}: polling \\(livesync:${LDAP_OID}\\)`));
}, 240_000);

test("a pause through the API is the operator's too, and shows in the API's status; start resumes it", async () => {
  const { api, url } = await listenApi(tally, 'operator-token');
  try {
    const call = async (p: string, method = 'GET') => (await fetch(`${url}/api/v1${p}`, { method, headers: { authorization: 'Bearer operator-token' } })).json() as Promise<unknown>;
    await call(`/resources/${AD_OID}/livesync/pause`, 'POST');
    const [paused] = await eventually(() => call(`/livesync?resource=${AD_OID}`) as Promise<LiveSyncListing[]>, ([l]) => l.status?.state === 'paused', 'live sync of MyLittleAD paused');
    expect(paused.operatorDecision).toMatchObject({ state: 'paused', channel: 'api', at: expect.any(String) });
  } finally {
    await api.close();
  }
  expect(await apply(resources.examples)).toEqual({ started: [], held: [] });
  expect((await listing(AD_OID)).status?.state).toBe('paused');
  expect(await tallyCli('livesync', 'start', AD)).toMatch(/^live sync of MyLittleAD resumed: livesync:/);
  await polling(AD_OID);
  expect((await listing(AD_OID)).operatorDecision).toBeNull();
}, 120_000);
