/**
 * Pushed resources in and out: a body taken as the resource to keep (attribute names in the schema's
 * letter case, read-only and write-only parts left out), and a kept one answered with its `meta` and as
 * `attributes`/`excludedAttributes` ask.
 */
import { type ScimJson, type ScimResourceType, type StoredScimObject } from '../../schema/scim';
import { invalid } from './scim-errors';
import { attributeNamed, resourceTypeSchemas, type ScimAttribute, type ScimSchema } from './scim-schemas';

const isRecord = (v: unknown): v is ScimJson => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Attributes every resource has (RFC 7643 section 3.1) besides its schema's. */
const COMMON = ['id', 'externalId', 'meta', 'schemas'];
/** Never kept: Tally assigns `id` and `meta`; a pushed password is not Tally's to keep. */
const NOT_KEPT = new Set(['id', 'meta', 'password', 'groups']);

function withSchemaNames(value: unknown, attribute: ScimAttribute | undefined): unknown {
  if (!attribute?.subAttributes) return value;
  const named = (item: unknown) =>
    isRecord(item) ? Object.fromEntries(Object.entries(item).map(([k, v]) => [attributeNamed(attribute.subAttributes, k)?.name ?? k, v])) : item;
  return Array.isArray(value) ? value.map(named) : named(value);
}

function keptAttributes(json: ScimJson, schema: ScimSchema, top: boolean): ScimJson {
  const kept: ScimJson = {};
  for (const [key, value] of Object.entries(json)) {
    const common = top ? COMMON.find((c) => c.toLowerCase() === key.toLowerCase()) : undefined;
    const attribute = attributeNamed(schema.attributes, key);
    const name = common ?? attribute?.name ?? key;
    if (NOT_KEPT.has(name) || value === null || attribute?.mutability === 'readOnly') continue;
    kept[name] = withSchemaNames(value, attribute);
  }
  return kept;
}

/** The body of a POST or PUT as the resource to keep (without id and meta). */
export function resourceToKeep(body: unknown, type: ScimResourceType): ScimJson {
  if (!isRecord(body)) throw invalid('invalidSyntax', `expected a ${type} as a JSON object`);
  const { schema, extensions } = resourceTypeSchemas[type];
  const schemas = Array.isArray(body.schemas) ? body.schemas.filter((s): s is string => typeof s === 'string') : [];
  if (!schemas.some((s) => s.toLowerCase() === schema.id.toLowerCase())) throw invalid('invalidSyntax', `schemas must hold ${schema.id}`);
  const kept = keptAttributes(body, schema, true);
  for (const extension of extensions) {
    const key = Object.keys(kept).find((k) => k.toLowerCase() === extension.id.toLowerCase());
    if (key === undefined) continue;
    const part = kept[key];
    delete kept[key];
    if (!isRecord(part)) throw invalid('invalidSyntax', `${extension.id} must be an object`);
    const { schemas: _schemas, ...attributes } = keptAttributes(part, extension, false);
    kept[extension.id] = attributes;
  }
  kept.schemas = [schema.id, ...extensions.filter((e) => kept[e.id] !== undefined).map((e) => e.id)];
  const required = schema.attributes.find((a) => a.required && (typeof kept[a.name] !== 'string' || (kept[a.name] as string).trim() === ''));
  if (required) throw invalid('invalidValue', `${type}.${required.name} is required: a non-empty string`);
  if (kept.active !== undefined && typeof kept.active !== 'boolean') throw invalid('invalidValue', `User.active must be true or false, got ${JSON.stringify(kept.active)}`);
  return kept;
}

export const etagOf = (object: StoredScimObject) => `W/"${object.version}"`;

/** The kept resource with its `id` and `meta`, as SCIM answers it. */
export function representation(object: StoredScimObject, base: string): ScimJson {
  return {
    ...object.resource,
    id: object.id,
    meta: {
      resourceType: object.type,
      created: object.created,
      lastModified: object.lastModified,
      version: etagOf(object),
      location: `${base}/${object.type}s/${object.id}`,
    },
  };
}

/** Attribute names of `attributes`/`excludedAttributes`: `userName`, `name.givenName`, `urn:...:User:department`. */
const namesOf = (list: string | undefined) =>
  (list ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n.length > 0);

function selected(json: ScimJson, names: string[], mode: 'only' | 'except', prefix = ''): ScimJson {
  const out: ScimJson = {};
  for (const [key, value] of Object.entries(json)) {
    const full = `${prefix}${key}`.toLowerCase();
    const always = prefix === '' && (key === 'id' || key === 'schemas');
    const named = names.includes(full);
    const within = names.some((n) => n.startsWith(`${full}.`) || n.startsWith(`${full}:`));
    if (mode === 'only') {
      if (always || named) out[key] = value;
      else if (within && isRecord(value)) out[key] = selected(value, names, mode, key.startsWith('urn:') ? `${full}:` : `${full}.`);
    } else if (always || !named) {
      out[key] = within && isRecord(value) ? selected(value, names, mode, key.startsWith('urn:') ? `${full}:` : `${full}.`) : value;
    }
  }
  return out;
}

/** The answer as `attributes` (only those, with id and schemas) or `excludedAttributes` (all but those) ask. */
export function projected(json: ScimJson, query: { attributes?: string; excludedAttributes?: string }): ScimJson {
  const only = namesOf(query.attributes);
  if (only.length > 0) return selected(json, only, 'only');
  const except = namesOf(query.excludedAttributes);
  return except.length > 0 ? selected(json, except, 'except') : json;
}
