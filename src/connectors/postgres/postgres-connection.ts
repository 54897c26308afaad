/**
 * The PostgreSQL connector's connection: a small pool per connector, the table's catalog (read once,
 * read again when the table may have changed), transactions, and the context every part is given.
 */
import { Pool, type PoolClient } from 'pg';
import { durationToMs, type SecretRef } from '../../schema/config';
import { ConnectorError } from '../connector-errors';
import { isPgCommunicationError, mapPgError } from './postgres-errors';
import { quoteIdent, readCatalog } from './postgres-sql';
import type { PostgresConnectorConfig, TableCatalog } from './postgres-types';

export type SecretResolver = (ref: SecretRef) => string;

/** The `application_name` of Tally's connections. */
export const TALLY_APPLICATION_NAME = 'tally';

/** What the connector's reading, writing and change reading share. */
export interface PostgresContext {
  config: PostgresConnectorConfig;
  connection: PostgresConnection;
  /** `schema.table`, for messages. */
  tableName: string;
  /** The table, quoted for SQL text. */
  table: string;
  /** The primary key column, quoted. */
  pk: string;
}

export function postgresContext(config: PostgresConnectorConfig, resolve: SecretResolver): PostgresContext {
  const tableName = `${config.schema}.${config.table}`;
  return {
    config,
    connection: new PostgresConnection(config, resolve, tableName),
    tableName,
    table: `${quoteIdent(config.schema)}.${quoteIdent(config.table)}`,
    pk: quoteIdent(config.primaryIdentifier),
  };
}

export class PostgresConnection {
  readonly pool: Pool;
  /** Kept only to scrub it from error messages; never logged or returned. */
  private password: string | undefined;
  private catalog: Promise<TableCatalog> | undefined;

  constructor(
    private readonly config: PostgresConnectorConfig,
    resolve: SecretResolver,
    private readonly tableName: string,
  ) {
    const timeoutMs = durationToMs(config.timeout);
    this.pool = new Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      // Resolved when a connection is made, so a missing secret fails the operation, not the construction.
      password: config.password
        ? () => {
            this.password = resolve(config.password!);
            return this.password;
          }
        : undefined,
      max: 4,
      idleTimeoutMillis: 10_000,
      // What a `modifiedByColumn` trigger records: Tally's own writes are recognised by it.
      application_name: TALLY_APPLICATION_NAME,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      allowExitOnIdle: true,
      // Timestamps as text in tokens are then in UTC, whatever the server's default.
      options: '-c TimeZone=UTC',
    });
    // An idle connection killed by a server shutdown must not crash the process; the pool drops it.
    this.pool.on('error', () => undefined);
  }

  /** Runs `fn` with the table's catalog; any failure comes out as a ConnectorError saying `context`. */
  async run<T>(context: string, fn: (cat: TableCatalog) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.tableCatalog());
    } catch (e) {
      const mapped = mapPgError(e, context, [this.password]);
      // The table may have changed under us: read the catalog again next time.
      if (mapped.kind === 'configuration' || isPgCommunicationError(e)) this.catalog = undefined;
      throw mapped;
    }
  }

  async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** The server answers, the credentials work, and the table has the configured key, name and modified columns. */
  async test(): Promise<void> {
    const { config } = this;
    await this.run(`test connection to ${config.host}:${config.port}/${config.database}`, async () => {
      await this.pool.query('SELECT 1');
      const fresh = await readCatalog(this.pool, config.schema, config.table);
      this.catalog = Promise.resolve(fresh);
      for (const name of [config.primaryIdentifier, config.secondaryIdentifier, ...(config.modifiedColumn ? [config.modifiedColumn] : [])]) {
        if (!fresh.columns.has(name)) throw new ConnectorError('configuration', `column ${name} is not in table ${this.tableName}`);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async tableCatalog(): Promise<TableCatalog> {
    this.catalog ??= readCatalog(this.pool, this.config.schema, this.config.table).catch((e: unknown) => {
      this.catalog = undefined;
      throw e;
    });
    return this.catalog;
  }
}
