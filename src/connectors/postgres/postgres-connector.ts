/** The PostgreSQL table connector, assembled from its connection, reading, writing and change reading. */
import type { Connector } from '../connector-types';
import { resolveSecret } from '../secrets';
import { changesSince, latestToken } from './postgres-change-reading';
import { postgresContext, type SecretResolver } from './postgres-connection';
import { attributesOf, getRow, getRows, readSchema, searchRows } from './postgres-reading';
import type { PostgresConnectorConfig } from './postgres-types';
import { createRow, createRows, deleteRow, modifyRow, modifyRows } from './postgres-writing';

/**
 * One table, one row per object, columns as attributes. Every name that reaches SQL text is checked
 * against the table's catalog and quoted.
 */
export function createPostgresConnector(config: PostgresConnectorConfig, resolve: SecretResolver = resolveSecret): Connector {
  const ctx = postgresContext(config, resolve);
  const connector: Connector & { toString(): string; toJSON(): object } = {
    testConnection: () => ctx.connection.test(),
    schema: () => readSchema(ctx),
    attributesOf: () => attributesOf(ctx),
    get: (identifiers, attributesToGet) => getRow(ctx, identifiers, attributesToGet),
    getMany: (primaryIdentifiers, attributesToGet) => getRows(ctx, primaryIdentifiers, attributesToGet),
    search: (options) => searchRows(ctx, options),
    create: (name, attributes) => createRow(ctx, name, attributes),
    createMany: (objects) => createRows(ctx, objects),
    modify: (primaryIdentifier, deltas) => modifyRow(ctx, primaryIdentifier, deltas),
    modifyMany: (modifications) => modifyRows(ctx, modifications),
    delete: (primaryIdentifier) => deleteRow(ctx, primaryIdentifier),
    latestToken: () => latestToken(ctx),
    changesSince: (token, limit) => changesSince(ctx, token, limit),
    close: () => ctx.connection.close(),
    toString: () => `PostgresConnector(${config.user}@${config.host}:${config.port}/${config.database} ${ctx.tableName})`,
    toJSON: () => ({ type: 'postgres', host: config.host, port: config.port, database: config.database, user: config.user, table: ctx.tableName }),
  };
  return connector;
}
