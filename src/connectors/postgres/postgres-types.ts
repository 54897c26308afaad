/** Types and constants of the PostgreSQL table connector. */
export type { PostgresConnectorConfig } from '../../schema/config';

/** The changelog token meaning "from the beginning" (no modified rows seen yet). */
export const POSTGRES_INITIAL_TOKEN = '0';

export { NAME_PATH } from '../connector-types';

/** A column of the connector's table, as read from information_schema. */
export interface ColumnInfo {
  name: string;
  isArray: boolean;
  /** The type to cast parameters to, e.g. `"pg_catalog"."int8"`. */
  castType: string;
}

export interface TableCatalog {
  columns: Map<string, ColumnInfo>;
}

/** Position in the table's modification order: the modified column's value and the primary key, as text. */
export interface ChangeToken {
  modified: string;
  key: string;
}
