/**
 * The long-lived parts every entry point needs, wired once: repository, connectors, Temporal client.
 */
import type { MongoClient } from 'mongodb';
import type { Client, Connection } from '@temporalio/client';
import { connectMongo } from '../repository/mongo';
import { Repository } from '../repository/repository';
import { ConnectorRegistry } from '../provisioning/connector-registry';
import { loadSecretKey, type SecretKey } from '../security/secret-key';
import type { SyncDeps } from '../sync/sync-deps';
import { connectTemporalClient } from './temporal-connection';
import type { Settings } from './settings';

export interface Services {
  settings: Settings;
  key: SecretKey;
  repo: Repository;
  connectors: ConnectorRegistry;
  client: Client;
  syncDeps: SyncDeps;
  close(): Promise<void>;
}

export async function openServices(settings: Settings, env: Record<string, string | undefined> = process.env): Promise<Services> {
  const key = loadSecretKey(env);
  const mongo: { client: MongoClient } & { db: import('mongodb').Db } = await connectMongo({ uri: settings.MONGODB_URI, database: settings.TALLY_DATABASE });
  const repo = new Repository(mongo.db);
  await repo.ensureIndexes();
  let temporal: { connection: Connection; client: Client };
  try {
    temporal = await connectTemporalClient({ address: settings.TEMPORAL_ADDRESS, namespace: settings.TEMPORAL_NAMESPACE, key });
  } catch (e) {
    await mongo.client.close();
    throw new Error(`cannot reach Temporal at ${settings.TEMPORAL_ADDRESS}: ${(e as Error).message}`);
  }
  const connectors = new ConnectorRegistry(repo);
  return {
    settings,
    key,
    repo,
    connectors,
    client: temporal.client,
    syncDeps: { repo, connectors, temporal: { client: temporal.client, taskQueue: settings.TALLY_TASK_QUEUE } },
    async close() {
      await connectors.closeAll();
      await temporal.connection.close();
      await mongo.client.close();
    },
  };
}
