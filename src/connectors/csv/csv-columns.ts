/**
 * The file's columns and what they hold: which is the unique value (icfs:uid), the name (icfs:name),
 * the password; how a field becomes attribute values and back (multi-valued columns joined by a delimiter).
 */
import type { AttributeValue, Attributes, ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import { malformed } from './csv-errors';
import type { CsvConnectorConfig } from './csv-types';

export interface CsvColumns {
  names: readonly string[];
  /** The names as one text, for digests of rows. */
  header: string;
  index: ReadonlyMap<string, number>;
  unique: number;
  name: number;
  password?: number;
  /** Columns not returned as attributes: the unique value (unless it is the name), the password. */
  hidden: ReadonlySet<number>;
}

/** The columns a header (or the configuration's `columns`) names, checked against the configuration. */
export function csvColumns(config: CsvConnectorConfig, names: readonly string[], file: string, line: number): CsvColumns {
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n)) throw malformed(file, line, `column ${n} is named twice in the header`);
    index.set(n, i);
  });
  const find = (setting: string, column: string) => {
    const i = index.get(column);
    if (i === undefined) throw malformed(file, line, `${setting} ${column} is not a column of the header (${names.join(', ')})`);
    return i;
  };
  const unique = find('uniqueAttribute', config.uniqueAttribute);
  const name = find('nameAttribute', config.nameAttribute ?? config.uniqueAttribute);
  const password = config.passwordAttribute === undefined ? undefined : find('passwordAttribute', config.passwordAttribute);
  for (const m of config.multivalueAttributes) find('multivalueAttribute', m);
  const hidden = new Set<number>(password === undefined ? [] : [password]);
  if (unique !== name) hidden.add(unique);
  return { names, header: names.join('\u0000'), index, unique, name, password, hidden };
}

/** The column an attribute is written to; an unknown one is a schema violation. */
export function columnOf(columns: CsvColumns, attribute: string, file: string): number {
  const i = columns.index.get(attribute);
  if (i === undefined) throw new ConnectorError('schema-violation', `unknown column ${attribute} in ${file} (columns: ${columns.names.join(', ')})`);
  return i;
}

function isMultiValued(config: CsvConnectorConfig, column: string): boolean {
  return config.multivalueAttributes.includes(column);
}

/** An empty field has no values; a multi-valued one is split at the delimiter. */
export function fieldValues(config: CsvConnectorConfig, column: string, field: string): string[] {
  if (field === '') return [];
  return isMultiValued(config, column) ? field.split(config.multivalueDelimiter).filter((v) => v !== '') : [field];
}

/** The field holding these values; more than one value of a single-valued column, or a value holding the delimiter, is refused. */
export function fieldOf(config: CsvConnectorConfig, column: string, values: readonly AttributeValue[], file: string): string {
  const texts = values.map(String);
  if (!isMultiValued(config, column)) {
    if (texts.length > 1) throw new ConnectorError('schema-violation', `column ${column} of ${file} is single-valued, got ${texts.length} values`);
    return texts[0] ?? '';
  }
  if (texts.some((t) => t.includes(config.multivalueDelimiter) || t === '')) {
    throw new ConnectorError('schema-violation', `a value of column ${column} of ${file} is empty or holds the delimiter ${config.multivalueDelimiter}`);
  }
  return texts.join(config.multivalueDelimiter);
}

/** A row as the object it is; `attributesToGet` keeps those and the name. */
export function toObject(
  config: CsvConnectorConfig,
  columns: CsvColumns,
  fields: readonly string[],
  objectClass: string,
  attributesToGet?: readonly string[],
): ResourceObject {
  const wanted = attributesToGet && new Set([...attributesToGet, columns.names[columns.name]]);
  const attributes: Attributes = {};
  columns.names.forEach((column, i) => {
    if (columns.hidden.has(i) || (wanted && !wanted.has(column))) return;
    attributes[column] = fieldValues(config, column, fields[i]);
  });
  return { primaryIdentifier: fields[columns.unique], secondaryIdentifier: fields[columns.name], objectClass, attributes };
}
