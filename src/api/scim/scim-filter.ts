/**
 * SCIM filters (RFC 7644 section 3.4.2.2) parsed: `userName eq "bjensen"`, `emails co "@example.com"`,
 * `name.familyName sw "J" and active eq true`, `not (...)`, parentheses. Attribute names are taken in any
 * letter case; a multi-valued attribute without a sub-attribute means its `value`. What this does not
 * answer (a value path `emails[type eq "work"]`, an attribute the resource type doesn't have) is `invalidFilter`.
 */
import type { ScimFilter, ScimResourceType } from '../../schema/scim';
import { invalid } from './scim-errors';
import { attributeNamed, resourceTypeSchemas } from './scim-schemas';

const COMPARISONS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
type Comparison = (typeof COMPARISONS)[number];

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: '(' | ')' | '[' | ']' };

function tokens(filter: string): Token[] {
  const found: Token[] = [];
  const pattern = /\s*(?:("(?:[^"\\]|\\.)*")|([()[\]])|([^\s()[\]"]+))/gy;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < filter.length && (match = pattern.exec(filter)) !== null) {
    at = pattern.lastIndex;
    if (match[1] !== undefined) {
      try {
        found.push({ kind: 'string', text: JSON.parse(match[1]) as string });
      } catch {
        throw invalid('invalidFilter', `filter '${filter}': the string ${match[1]} is not valid JSON`);
      }
    } else if (match[2] !== undefined) found.push({ kind: match[2] as '(' | ')' | '[' | ']' });
    else if (match[3] !== undefined) found.push({ kind: 'word', text: match[3] });
    if (filter.slice(at).trim() === '') break;
  }
  if (filter.slice(at).trim() !== '') throw invalid('invalidFilter', `filter '${filter}': cannot read it from '${filter.slice(at).trim()}' on`);
  return found;
}

/** The attribute path as stored: names in the schema's letter case; `emails` as `emails.value`. */
export function canonicalPath(path: string, type: ScimResourceType, filter: string): string {
  const lower = path.toLowerCase();
  if (lower === 'id') return 'id';
  if (lower === 'externalid') return 'externalId';
  if (lower === 'meta.created') return 'meta.created';
  if (lower === 'meta.lastmodified') return 'meta.lastModified';
  const { schema, extensions } = resourceTypeSchemas[type];
  let attributes = schema.attributes;
  let prefix = '';
  let rest = path;
  for (const extension of [schema, ...extensions]) {
    if (lower.startsWith(`${extension.id.toLowerCase()}:`)) {
      attributes = extension.attributes;
      prefix = extension === schema ? '' : `${extension.id}:`;
      rest = path.slice(extension.id.length + 1);
    }
  }
  const [name, sub, ...more] = rest.split('.');
  const attribute = attributeNamed(attributes, name ?? '');
  if (!attribute || more.length > 0) throw invalid('invalidFilter', `filter '${filter}': ${type} has no attribute '${path}'`);
  if (sub === undefined) return `${prefix}${attribute.name}${attribute.multiValued && attribute.subAttributes ? '.value' : ''}`;
  const subAttribute = attributeNamed(attribute.subAttributes, sub);
  if (!subAttribute) throw invalid('invalidFilter', `filter '${filter}': ${type} has no attribute '${path}'`);
  return `${prefix}${attribute.name}.${subAttribute.name}`;
}

/** A list filter of a resource type's objects. */
export function parseFilter(filter: string, type: ScimResourceType): ScimFilter {
  return parseFilterWith(filter, (path) => canonicalPath(path, type, filter));
}

/** A filter whose attribute paths `resolve` canonicalizes (or refuses): a list's, or a value path's on sub-attributes. */
export function parseFilterWith(filter: string, resolve: (path: string) => string): ScimFilter {
  const list = tokens(filter);
  let at = 0;
  const peekWord = () => {
    const t = list[at];
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  };
  const fail = (what: string): never => {
    throw invalid('invalidFilter', `filter '${filter}': ${what}`);
  };
  const expect = (kind: '(' | ')') => {
    if (list[at]?.kind !== kind) fail(`expected '${kind}'`);
    at++;
  };
  const value = (): string | number | boolean | null => {
    const t = list[at++];
    if (!t) return fail('a comparison without its value');
    if (t.kind === 'string') return t.text;
    if (t.kind !== 'word') return fail(`expected a value, got '${t.kind}'`);
    if (t.text === 'true' || t.text === 'false') return t.text === 'true';
    if (t.text === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t.text)) return Number(t.text);
    return fail(`the value ${t.text} is no JSON string, number, true, false or null`);
  };
  const unary = (): ScimFilter => {
    if (list[at]?.kind === '(') {
      at++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (peekWord() === 'not') {
      at++;
      expect('(');
      const inner = or();
      expect(')');
      return { op: 'not', filter: inner };
    }
    const t = list[at++];
    if (t?.kind !== 'word') return fail('expected an attribute');
    if (list[at]?.kind === '[') fail(`value paths such as ${t.text}[...] are not supported in list filters; use ${t.text}.<sub-attribute>`);
    const path = resolve(t.text);
    const op = peekWord();
    at++;
    if (op === 'pr') return { op: 'pr', path };
    if (!COMPARISONS.includes(op as Comparison)) return fail(`expected an operator (${COMPARISONS.join(', ')}, pr) after ${t.text}`);
    return { op: op as Comparison, path, value: value() };
  };
  const and = (): ScimFilter => {
    const filters = [unary()];
    while (peekWord() === 'and') {
      at++;
      filters.push(unary());
    }
    return filters.length === 1 ? filters[0]! : { op: 'and', filters };
  };
  const or = (): ScimFilter => {
    const filters = [and()];
    while (peekWord() === 'or') {
      at++;
      filters.push(and());
    }
    return filters.length === 1 ? filters[0]! : { op: 'or', filters };
  };
  if (list.length === 0) fail('empty');
  const parsed = or();
  if (at < list.length) fail(`unexpected '${list[at]!.kind === 'word' || list[at]!.kind === 'string' ? (list[at] as { text: string }).text : list[at]!.kind}'`);
  return parsed;
}
