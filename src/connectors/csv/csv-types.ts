/** Types and constants of the CSV file connector. */
export type { CsvConnectorConfig } from '../../schema/config';

/** The changelog token meaning "from the beginning": a file without rows. */
export const CSV_INITIAL_TOKEN = '0';

export { NAME_PATH } from '../connector-types';

/** A record of the file as read: its fields in column order, its index in the read; where it is, if the read asked. */
export interface CsvRow {
  fields: string[];
  index: number;
  /** The line it ends on and the byte just after it. */
  position?: FilePosition;
}

/** Where reading continues: the byte after the last record read and that record's line. */
export interface FilePosition {
  offset: number;
  line: number;
}
