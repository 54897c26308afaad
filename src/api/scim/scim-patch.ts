/**
 * PATCH (RFC 7644 section 3.5.2) applied to a kept resource: `add`, `replace` and `remove`, with or without a
 * path; paths `name.givenName`, `urn:...:enterprise:2.0:User:department`, and value paths
 * `members[value eq "2819c223"]` (with a sub-attribute after them, too). Without a path, a value's keys may be
 * paths themselves (`"name.givenName": "Barbara"`, as Entra sends them).
 */
import type { ScimFilter, ScimJson, ScimPatch, ScimResourceType } from '../../schema/scim';
import { invalid, ScimProtocolError } from './scim-errors';
import { parseFilterWith } from './scim-filter';
import { resourceToKeep } from './scim-representation';
import { attributeNamed, resourceTypeSchemas, type ScimAttribute } from './scim-schemas';

const isRecord = (v: unknown): v is ScimJson => typeof v === 'object' && v !== null && !Array.isArray(v);
type Operation = ScimPatch['Operations'][number];

/** Where a path points: the object holding the attribute, the attribute, and the value filter and sub-attribute, if any. */
interface Target {
  /** null: the top level; else the extension's URN, whose object holds the attribute. */
  extension: string | null;
  attribute: ScimAttribute;
  filter?: ScimFilter;
  sub?: ScimAttribute;
}

function targetOf(path: string, type: ScimResourceType): Target | { extension: string } {
  const { schema, extensions } = resourceTypeSchemas[type];
  let attributes = schema.attributes;
  let extension: string | null = null;
  let rest = path;
  for (const e of extensions) {
    if (path.toLowerCase() === e.id.toLowerCase()) return { extension: e.id };
    if (path.toLowerCase().startsWith(`${e.id.toLowerCase()}:`)) {
      attributes = e.attributes;
      extension = e.id;
      rest = path.slice(e.id.length + 1);
    }
  }
  if (rest.toLowerCase().startsWith(`${schema.id.toLowerCase()}:`)) rest = rest.slice(schema.id.length + 1);
  const match = /^([^.[\]]+)(?:\[(.*)\])?(?:\.([^.[\]]+))?$/.exec(rest);
  if (!match) throw invalid('invalidPath', `cannot read the path '${path}'`);
  const [, name, filterText, subName] = match;
  if (rest.toLowerCase() === 'id' || rest.toLowerCase().startsWith('meta')) throw new ScimProtocolError(400, 'mutability', `${path} is read-only`);
  const attribute = attributeNamed(attributes, name!) ?? (extension === null && name!.toLowerCase() === 'externalid' ? { name: 'externalId', type: 'string' as const, description: '' } : undefined);
  if (!attribute) throw invalid('invalidPath', `${type} has no attribute '${path}'`);
  if (attribute.mutability === 'readOnly') throw new ScimProtocolError(400, 'mutability', `${path} is read-only`);
  const sub = subName !== undefined ? attributeNamed(attribute.subAttributes, subName) : undefined;
  if (subName !== undefined && !sub) throw invalid('invalidPath', `${type}.${attribute.name} has no sub-attribute '${subName}'`);
  const filter =
    filterText !== undefined
      ? parseFilterWith(filterText, (p) => {
          const named = attributeNamed(attribute.subAttributes, p);
          if (!named) throw invalid('invalidFilter', `${type}.${attribute.name} has no sub-attribute '${p}'`);
          return named.name;
        })
      : undefined;
  if (filter && !attribute.multiValued) throw invalid('invalidPath', `${attribute.name} holds one value: no [filter] on it`);
  return { extension, attribute, ...(filter ? { filter } : {}), ...(sub ? { sub } : {}) };
}

const text = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/** Whether an element of a multi-valued attribute matches a value filter. */
function matches(filter: ScimFilter, element: unknown): boolean {
  const item = isRecord(element) ? element : { value: element };
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(f, element));
    case 'or':
      return filter.filters.some((f) => matches(f, element));
    case 'not':
      return !matches(filter.filter, element);
    case 'pr':
      return item[filter.path] !== undefined && item[filter.path] !== null && item[filter.path] !== '';
    default: {
      const actual = text(item[filter.path]);
      const expected = text(filter.value);
      switch (filter.op) {
        case 'eq':
          return actual === expected;
        case 'ne':
          return actual !== expected;
        case 'co':
          return typeof actual === 'string' && actual.includes(String(expected));
        case 'sw':
          return typeof actual === 'string' && actual.startsWith(String(expected));
        case 'ew':
          return typeof actual === 'string' && actual.endsWith(String(expected));
        case 'gt':
          return actual !== undefined && (actual as number) > (expected as number);
        case 'ge':
          return actual !== undefined && (actual as number) >= (expected as number);
        case 'lt':
          return actual !== undefined && (actual as number) < (expected as number);
        default:
          return actual !== undefined && (actual as number) <= (expected as number);
      }
    }
  }
}

const sameItem = (a: unknown, b: unknown) => JSON.stringify(isRecord(a) ? a.value ?? a : a) === JSON.stringify(isRecord(b) ? b.value ?? b : b);

function holder(resource: ScimJson, extension: string | null): ScimJson {
  if (extension === null) return resource;
  if (!isRecord(resource[extension])) resource[extension] = {};
  return resource[extension] as ScimJson;
}

function apply(resource: ScimJson, op: Operation, path: string, value: unknown, type: ScimResourceType): void {
  const target = targetOf(path, type);
  if (!('attribute' in target)) {
    // The extension itself: its attributes one by one.
    if (op.op === 'remove') delete resource[target.extension];
    else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) if (k.toLowerCase() !== 'schemas') apply(resource, op, `${target.extension}:${k}`, v, type);
    }
    else throw invalid('invalidValue', `${target.extension} takes an object`);
    return;
  }
  const { attribute, filter, sub } = target;
  const object = holder(resource, target.extension);
  const name = attribute.name;
  const current = object[name];
  if (filter) {
    const list = Array.isArray(current) ? current : [];
    const hit = list.map((e) => matches(filter, e));
    if (op.op === 'remove') {
      if (sub) list.forEach((e, i) => hit[i] && isRecord(e) && delete e[sub.name]);
      else object[name] = list.filter((_, i) => !hit[i]);
      return;
    }
    if (!hit.some(Boolean)) throw invalid('noTarget', `no value of ${name} matches [${path.slice(path.indexOf('[') + 1, path.lastIndexOf(']'))}]`);
    object[name] = list.map((e, i) => {
      if (!hit[i]) return e;
      if (sub) return { ...(isRecord(e) ? e : {}), [sub.name]: value };
      return isRecord(e) && isRecord(value) ? { ...e, ...value } : value;
    });
    return;
  }
  if (sub) {
    if (attribute.multiValued) {
      const list = Array.isArray(current) ? current : [];
      object[name] = list.map((e) => (op.op === 'remove' ? (isRecord(e) ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== sub.name)) : e) : { ...(isRecord(e) ? e : {}), [sub.name]: value }));
      return;
    }
    const part = isRecord(current) ? { ...current } : {};
    if (op.op === 'remove') delete part[sub.name];
    else part[sub.name] = value;
    object[name] = part;
    return;
  }
  if (op.op === 'remove') {
    // Entra removes members by value: `"path": "members", "value": [{ "value": "<id>" }]`.
    if (attribute.multiValued && value !== undefined && Array.isArray(current)) {
      const gone = Array.isArray(value) ? value : [value];
      object[name] = current.filter((e) => !gone.some((g) => sameItem(e, g)));
    } else delete object[name];
    return;
  }
  if (attribute.multiValued) {
    const values = Array.isArray(value) ? value : [value];
    if (op.op === 'replace') object[name] = values;
    else object[name] = [...(Array.isArray(current) ? current : []), ...values.filter((v) => !(Array.isArray(current) ? current : []).some((e) => sameItem(e, v)))];
    return;
  }
  object[name] = attribute.subAttributes && isRecord(value) && isRecord(current) && op.op === 'add' ? { ...current, ...value } : value;
}

/** The resource after the operations, checked as a PUT of it would be. */
export function applyPatch(resource: ScimJson, patch: ScimPatch, type: ScimResourceType): ScimJson {
  const next = structuredClone(resource);
  for (const op of patch.Operations) {
    if (op.path !== undefined) {
      if (op.op !== 'remove' && op.value === undefined) throw invalid('invalidValue', `${op.op} of ${op.path} without a value`);
      apply(next, op, op.path, op.value, type);
      continue;
    }
    if (op.op === 'remove') throw invalid('noTarget', 'remove needs a path');
    if (!isRecord(op.value)) throw invalid('invalidValue', `${op.op} without a path takes an object of attributes`);
    for (const [key, value] of Object.entries(op.value)) {
      if (key.toLowerCase() === 'schemas' || key.toLowerCase() === 'id' || key.toLowerCase() === 'meta') continue;
      apply(next, op, key, value, type);
    }
  }
  for (const [key, value] of Object.entries(next)) if (value === null || (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0)) delete next[key];
  const schemas = new Set(Array.isArray(next.schemas) ? (next.schemas as string[]) : [resourceTypeSchemas[type].schema.id]);
  for (const e of resourceTypeSchemas[type].extensions) if (next[e.id] !== undefined) schemas.add(e.id);
  return resourceToKeep({ ...next, schemas: [...schemas] }, type);
}
