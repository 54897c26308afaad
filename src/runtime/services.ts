/**
 * The long-lived parts every entry point needs, wired once: repository, connectors, Temporal client.
 */
import type { Client, Connection } from '@temporalio/client';
import { openRepository, type Repository } from '../repository/repository';
import { ConnectorRegistry } from '../provisioning/connector-registry';
import { setClaimLease } from '../provisioning/claim-lease';
import { loadSecretKey, type SecretKey } from '../security/secret-key';
import type { SyncDeps } from '../sync/sync-deps';
import type { WorkflowStarter } from '../provisioning/workflow-starter';
import { createWorkflowStarter } from '../client/workflow-starts';
import { correlate } from '../sync/situation';
import { connectTemporalClient } from './temporal-connection';
import type { Settings } from './settings';

export interface Services {
  settings: Settings;
  key: SecretKey;
  repo: Repository;
  connectors: ConnectorRegistry;
  client: Client;
  /** Starts or feeds Tally's workflows. */
  workflows: WorkflowStarter;
  /** What activities and the synchronization routine are built with. */
  syncDeps: SyncDeps;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /**
   * Where the warning about the built-in development key (TALLY_DEV=1) goes: stderr by default, as for the
   * worker, the API and the dev stack, which say it once at their start. One-shot CLI commands pass a no-op.
   */
  devKeyWarning?: (message: string) => void;
}

export async function openServices(settings: Settings, env: Record<string, string | undefined> = process.env, options: OpenServicesOptions = {}): Promise<Services> {
  const key = loadSecretKey(env, options.devKeyWarning);
  setClaimLease(settings.TALLY_CLAIM_LEASE_MS);
  const repo = await openRepository({ uri: settings.MONGODB_URI, database: settings.TALLY_DATABASE });
  await repo.ensureIndexes();
  let temporal: { connection: Connection; client: Client };
  try {
    temporal = await connectTemporalClient({ address: settings.TEMPORAL_ADDRESS, namespace: settings.TEMPORAL_NAMESPACE, key });
  } catch (e) {
    await repo.close();
    throw new Error(`cannot reach Temporal at ${settings.TEMPORAL_ADDRESS}: ${(e as Error).message}`);
  }
  const connectors = new ConnectorRegistry(repo, key);
  const workflows = createWorkflowStarter({ client: temporal.client, taskQueue: settings.TALLY_TASK_QUEUE });
  const syncDeps: SyncDeps = { repo, connectors, workflows, secretKey: key, correlate: (resourceOid, object) => correlate(syncDeps, resourceOid, object) };
  return {
    settings,
    key,
    repo,
    connectors,
    client: temporal.client,
    workflows,
    syncDeps,
    async close() {
      await connectors.closeAll();
      await temporal.connection.close();
      await repo.close();
    },
  };
}
