/**
 * The repository gauges a scrape reads (real MongoDB): per resource its pending operations and the oldest
 * one's age, its changes retried and held as failed, the age of live sync's position.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyConfig } from '../../../src/admin/apply-config';
import { operatorGaugeValues } from '../../../src/admin/operator-gauges';
import { requireObjectType } from '../../../src/model/resources';
import { newShadow } from '../../../src/provisioning/shadows';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import type { PendingOperation } from '../../../src/schema/objects';
import { cnToFullName, ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { getStack } from '../../support/stack';
import { tallyTestEnv } from '../../support/tally-harness';

const resourceOid = randomUUID();
let services: Services;

beforeAll(async () => {
  const stack = getStack();
  const env = { ...tallyTestEnv(stack, 'gauges'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  services = await openServices(loadSettings(env), env);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-gauges-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({ oid: resourceOid, name: 'Gauged LDAP', ldap: { url: stack.ldap.url, bindDn: stack.ldap.serviceDn }, base: stack.ldap.peopleDn, attributes: cnToFullName }),
  );
  await applyConfig(services.repo, services.key, [dir]);
}, 60_000);

afterAll(async () => {
  await services?.close();
});

const pendingModify = (requestTimestamp: string): PendingOperation => ({
  id: randomUUID(),
  type: 'modify',
  delta: [{ path: 'cn', replace: ['Someone'] }],
  attemptNumber: 1,
  requestTimestamp,
  result: { status: 'postponed' },
});

test('pending operations counted per resource with the oldest one\'s age; retried and held changes; the age of live sync\'s position', async () => {
  const nowMs = Date.parse('2026-12-04T12:00:00.000Z');
  const empty = (await operatorGaugeValues(services, nowMs)).resources.find((r) => r.resource === 'Gauged LDAP');
  expect(empty).toEqual({ resource: 'Gauged LDAP', pendingOperations: 0, oldestPendingOperationSeconds: 0, changesRetrying: 0, changesDeadLettered: 0, liveSyncTokenAgeSeconds: null });

  const resource = (await services.repo.config.resource(resourceOid))!;
  const objectType = requireObjectType(resource);
  const shadow = (uid: string, operations: PendingOperation[]) => ({
    ...newShadow({ resourceRef: resourceOid, objectType, primaryIdentifier: randomUUID(), secondaryIdentifier: `uid=${uid},${getStack().ldap.peopleDn}`, exists: true, now: '2026-12-04T11:00:00.000Z' }),
    pendingOperations: operations,
  });
  await services.repo.shadows.insert(shadow('anne', [pendingModify('2026-12-04T11:50:00.000Z'), pendingModify('2026-12-04T11:58:00.000Z')]));
  await services.repo.shadows.insert(shadow('mary', [pendingModify('2026-12-04T11:40:00.000Z')]));
  await services.repo.shadows.insert(shadow('read', []));
  const held = { resourceRef: resourceOid, attempt: 1, maxAttempts: 5, lastError: 'no', since: '2026-12-04T11:00:00.000Z', updatedAt: '2026-12-04T11:00:00.000Z', change: { changeType: 'modify' as const, channel: 'live-sync' as const } };
  await services.repo.liveSync.holdChange({ ...held, oid: `change:${resourceOid}:a`, objectKeys: ['a'], state: 'retrying', nextTryAt: '2026-12-04T12:01:00.000Z' });
  await services.repo.liveSync.holdChange({ ...held, oid: `change:${resourceOid}:b`, objectKeys: ['b'], state: 'failed' });
  await services.repo.liveSync.holdChange({ ...held, oid: `change:${resourceOid}:c`, objectKeys: ['c'], state: 'failed' });
  await services.repo.liveSync.saveToken(resourceOid, '20261204114500.000000Z', '2026-12-04T11:45:00.000Z');

  const gauges = (await operatorGaugeValues(services, nowMs)).resources.find((r) => r.resource === 'Gauged LDAP');
  expect(gauges).toEqual({ resource: 'Gauged LDAP', pendingOperations: 3, oldestPendingOperationSeconds: 20 * 60, changesRetrying: 1, changesDeadLettered: 2, liveSyncTokenAgeSeconds: 15 * 60 });
});
