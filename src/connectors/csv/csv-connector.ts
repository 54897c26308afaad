/** The CSV file connector, assembled from its file, reading, writing and change reading. */
import type { Connector } from '../connector-types';
import { changesSince, latestToken } from './csv-change-reading';
import { csvContext, testFile } from './csv-file';
import { attributesOf, getRow, readSchema, searchRows } from './csv-reading';
import type { CsvConnectorConfig } from './csv-types';
import { createRows, deleteRow, modifyRow } from './csv-writing';

/** One file, one row per object, columns as attributes (midPoint's CSV connector). */
export function createCsvConnector(config: CsvConnectorConfig): Connector {
  const ctx = csvContext(config);
  const connector: Connector & { toString(): string; toJSON(): object } = {
    testConnection: () => testFile(ctx),
    schema: () => readSchema(ctx),
    attributesOf: () => attributesOf(ctx),
    get: (identifiers, attributesToGet) => getRow(ctx, identifiers, attributesToGet),
    search: (options) => searchRows(ctx, options),
    create: async (name, attributes) => (await createRows(ctx, [{ secondaryIdentifier: name, attributes }]))[0],
    createMany: (objects) => createRows(ctx, objects),
    modify: (primaryIdentifier, deltas) => modifyRow(ctx, primaryIdentifier, deltas),
    delete: (primaryIdentifier) => deleteRow(ctx, primaryIdentifier),
    latestToken: () => latestToken(ctx),
    changesSince: (token, limit) => changesSince(ctx, token, limit),
    close: async () => undefined,
    toString: () => `CsvConnector(${ctx.file})`,
    toJSON: () => ({ type: 'csv', file: ctx.file, uniqueAttribute: config.uniqueAttribute }),
  };
  return connector;
}
