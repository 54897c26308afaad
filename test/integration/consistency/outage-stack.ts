/**
 * A private world for consistency tests: its own slapd (stopped and started to simulate outages), its own
 * Tally database and task queue, and a worker that can be shut down and replaced by a new one on the same
 * task queue (as if the worker process died).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { applyConfig, type ApplyResult } from '../../../src/admin/apply-config';
import { startSlapd, type SlapdServer } from '../../../src/dev/servers';
import { loadSettings, type Settings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import type { ShadowDoc } from '../../../src/schema/objects';
import { createTallyWorker } from '../../../src/worker';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { getStack, scratchDir } from '../../support/stack';
import { RepositoryInspector } from '../../support/repository-inspector';
import { uidSynchronization } from '../../support/ldap-resource-yaml';

export const LDAP_PASSWORD_ENV = 'TALLY_CONSISTENCY_LDAP_PASSWORD';

export interface ResourcePolicy {
  initialInterval: string;
  maximumInterval: string;
  livenessCheckInterval: string;
  maximumAttempts?: number;
  maxIterations?: number;
}

export const SHORT_RETRIES: ResourcePolicy = { initialInterval: '500ms', maximumInterval: '2s', livenessCheckInterval: '500ms' };

export interface OutageStack {
  name: string;
  slapd: SlapdServer;
  services: Services;
  /** The repository's raw documents, for assertions. */
  inspect: RepositoryInspector;
  settings: Settings;
  env: Record<string, string>;
  resourceOid: string;
  dnOf(uid: string): string;
  /** Applies YAML documents (joined into one file) and asks provisionUser for every user it changed. */
  applyAndProvision(yaml: string, options?: { wait?: boolean }): Promise<ApplyResult>;
  /** Shuts the worker down (workflows keep waiting in Temporal) and starts a new one on the same task queue. */
  stopWorker(): Promise<void>;
  /** Re-applies the resource with another retry policy (workflows started afterwards use it). */
  reconfigure(policy: ResourcePolicy): Promise<void>;
  startWorker(): Promise<void>;
  ldap<T>(work: (client: LdapClient) => Promise<T>): Promise<T>;
  shadowsOf(userName: string): Promise<ShadowDoc[]>;
  /** Waits until no shadow of the resource has pending operations. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function resourceYaml(oid: string, url: string, policy: ResourcePolicy): string {
  return `kind: Resource
oid: ${oid}
name: Outage LDAP ${oid.slice(0, 8)}
connector:
  type: ldap
  url: ${url}
  bindDn: cn=admin,dc=example,dc=com
  bindPassword: { env: ${LDAP_PASSWORD_ENV} }
  baseContext: ou=people,dc=example,dc=com
  primaryIdentifier: entryUUID
  timeout: 3s
consistency:
  retry:
    initialInterval: ${policy.initialInterval}
    backoffCoefficient: 2
    maximumInterval: ${policy.maximumInterval}${policy.maximumAttempts ? `\n    maximumAttempts: ${policy.maximumAttempts}` : ''}
  livenessCheckInterval: ${policy.livenessCheckInterval}
schemaHandling:
  accountType:
    - name: Default Account
      default: true
      objectClass: inetOrgPerson
      iteration: { maxIterations: ${policy.maxIterations ?? 2} }
      attribute:
        - ref: icfs:name
          outbound:
            strength: weak
            source: [{ path: $user/name }]
            expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } }
        - ref: icfs:uid
          access: [read]
        - ref: cn
          outbound: { source: [{ path: $user/fullName }] }
        - ref: givenName
          outbound: { source: [{ path: $user/givenName }] }
        - ref: sn
          outbound: { source: [{ path: $user/familyName }] }
        - ref: uid
          outbound: { source: [{ path: $user/name }] }
        - ref: description
          outbound: { expression: { value: Created by IDM } }
${uidSynchronization({ unlinked: 'link', linked: 'synchronize', deleted: 'unlink' })}`;
}

/** A user document; `assigned` gives it a direct account construction on the resource. */
export function userYaml(resourceOid: string, name: string, fullName: string, assigned = true): string {
  const [givenName, ...rest] = fullName.split(' ');
  return `kind: User
name: ${name}
oid: ${randomUUIDFor(name)}
fullName: ${fullName}
givenName: ${givenName}
familyName: ${rest.join(' ') || givenName}
assignment:${assigned ? `\n  - accountConstruction: { resourceRef: ${resourceOid} }` : ' []'}
`;
}

const userOids = new Map<string, string>();
function randomUUIDFor(name: string): string {
  if (!userOids.has(name)) userOids.set(name, randomUUID());
  return userOids.get(name)!;
}

/** `temporal`: another Temporal server than the shared stack's (e.g. a dev server with its web UI). */
/** `env`: settings of this Tally's worker beyond the stack's (e.g. TALLY_WAITING_HISTORY_EVENTS). */
export async function startOutageStack(
  name: string,
  policy: ResourcePolicy = SHORT_RETRIES,
  options: { temporal?: { address: string; namespace: string }; env?: Record<string, string> } = {},
): Promise<OutageStack> {
  const stack = getStack();
  const password = `consistency-${randomBytes(9).toString('hex')}`;
  const slapd = await startSlapd({ dataDir: scratchDir(`consistency-${name}`), adminPassword: password });
  const env: Record<string, string> = {
    ...tallyTestEnv(stack, name),
    [LDAP_PASSWORD_ENV]: password,
    ...(options.temporal ? { TEMPORAL_ADDRESS: options.temporal.address, TEMPORAL_NAMESPACE: options.temporal.namespace } : {}),
    ...options.env,
  };
  Object.assign(process.env, env);
  const settings = loadSettings(env);
  const services = await openServices(settings, env);
  const inspect = RepositoryInspector.of(settings);
  const resourceOid = randomUUID();
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'tally-consistency-'));
  let files = 0;

  let worker: { worker: Worker; connection: NativeConnection; running: Promise<void> } | undefined;
  const startWorker = async () => {
    const created = await createTallyWorker({ settings, services });
    worker = { ...created, running: created.run() };
  };
  const stopWorker = async () => {
    if (!worker) return;
    const { worker: w, connection, running } = worker;
    worker = undefined;
    w.shutdown();
    await running;
    await connection.close();
  };

  const self: OutageStack = {
    name,
    slapd,
    services,
    inspect,
    settings,
    env,
    resourceOid,
    dnOf: (uid) => `uid=${uid},${slapd.peopleDn}`,
    async applyAndProvision(yaml, options = {}) {
      const file = path.join(configDir, `apply-${++files}.yaml`);
      writeFileSync(file, yaml);
      const applied = await applyConfig(services.repo, services.key, [file]);
      for (const u of applied.usersToProvision) {
        const workflowId = await services.workflows.requestUserProvisioning({
          userOid: u.userOid,
          channel: 'user',
          changedUserPaths: u.changedUserPaths,
          removedAssignments: u.removedAssignments,
        });
        if (options.wait) await services.client.workflow.getHandle(workflowId).result();
      }
      return applied;
    },
    stopWorker,
    startWorker,
    async reconfigure(policy) {
      const file = path.join(configDir, `resource-${++files}.yaml`);
      writeFileSync(file, resourceYaml(resourceOid, slapd.url, policy));
      await applyConfig(services.repo, services.key, [file]);
    },
    async ldap(work) {
      const client = new LdapClient({ url: slapd.url });
      try {
        await client.bind(slapd.bindDn, password);
        return await work(client);
      } finally {
        await client.unbind().catch(() => undefined);
      }
    },
    async shadowsOf(userName) {
      const user = await services.repo.users.byRef(userName);
      return user ? services.repo.shadows.ofOwner(user.oid) : [];
    },
    async settled(timeoutMs = 60_000) {
      await eventually(
        () => inspect.shadows.find({ resourceRef: resourceOid, 'pendingOperations.0': { $exists: true } }, { projection: { _id: 0, secondaryIdentifier: 1, pendingOperations: 1 } }),
        (pending) => pending.length === 0,
        'no pending operations on the resource',
        timeoutMs,
      );
    },
    async close() {
      await stopWorker();
      await services.close();
      await inspect.close();
      await slapd.stop();
    },
  };
  await startWorker();
  const configFile = path.join(configDir, 'resource.yaml');
  writeFileSync(configFile, resourceYaml(resourceOid, slapd.url, policy));
  await applyConfig(services.repo, services.key, [configFile]);
  return self;
}

/** Records of cn=accesslog for one DN, oldest first: what the resource was actually asked to do. */
export async function accesslogFor(stack: OutageStack, dn: string): Promise<Array<{ reqType: string; reqMod: string[] }>> {
  return stack.ldap(async (c) => {
    const { searchEntries } = await c.search(stack.slapd.accesslogBase, {
      scope: 'one',
      filter: `(&(objectClass=auditWriteObject)(reqDN=${dn}))`,
      attributes: ['reqType', 'reqMod', 'entryCSN'],
    });
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
    return searchEntries
      .map((e) => ({ reqType: String(e.reqType), reqMod: list(e.reqMod), csn: String(e.entryCSN) }))
      .sort((a, b) => a.csn.localeCompare(b.csn))
      .map(({ reqType, reqMod }) => ({ reqType, reqMod }));
  });
}

export async function ldapEntries(stack: OutageStack, filter: string): Promise<Array<Record<string, unknown>>> {
  return stack.ldap(async (c) => (await c.search(stack.slapd.peopleDn, { scope: 'one', filter, attributes: ['*', 'entryUUID'] })).searchEntries);
}
