/**
 * A SCIM User's JSON as flat attributes, and attribute deltas as PATCH operations (pure). Names:
 * top-level attributes by their name (`userName`, `displayName`, `title`), a sub-attribute of a complex
 * one by its SCIM path (`name.givenName`), a multi-valued one (`emails`, `phoneNumbers`) as its items'
 * `value`s, the enterprise extension's by their own name (`employeeNumber`, `department`, `manager` for
 * `manager.value`; the full `urn:...:enterprise:2.0:User:department` is taken too), `active` as
 * `__ENABLE__` (`TRUE`/`FALSE`), and `password` written only.
 */
import type { AttributeDelta, AttributeValue, Attributes } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import { NAME_PATH } from '../connector-types';
import { ENTERPRISE_USER, type PatchOperation, type ScimResource } from './scim-types';

export const ENABLE_ATTRIBUTE = '__ENABLE__';
export const PASSWORD_ATTRIBUTE = 'password';

/** RFC 7643's multi-valued attributes of a User whose items carry a `value`. */
const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates']);
/** The enterprise extension's attributes (RFC 7643 §4.3). */
const ENTERPRISE_ATTRIBUTES = new Set(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
/** Never attributes: the identifier, the bookkeeping, a Group's members (an association). */
const NOT_ATTRIBUTES = new Set(['schemas', 'id', 'meta', PASSWORD_ATTRIBUTE, 'members']);

type Location =
  | { kind: 'enable' }
  | { kind: 'password' }
  | { kind: 'multi'; name: string }
  | { kind: 'single'; extension: boolean; path: string[] };

function locate(name: string, enterprise: boolean): Location {
  if (name === NAME_PATH) return { kind: 'single', extension: false, path: ['userName'] };
  if (name === ENABLE_ATTRIBUTE) return { kind: 'enable' };
  if (name === PASSWORD_ATTRIBUTE) return { kind: 'password' };
  if (MULTI_VALUED.has(name)) return { kind: 'multi', name };
  const short = name.startsWith(`${ENTERPRISE_USER}:`) ? name.slice(ENTERPRISE_USER.length + 1) : name;
  if (enterprise && (short !== name || ENTERPRISE_ATTRIBUTES.has(short))) return { kind: 'single', extension: true, path: short === 'manager' ? ['manager', 'value'] : short.split('.') };
  return { kind: 'single', extension: false, path: name.split('.') };
}

/** The attribute's SCIM path: for a request's `attributes` and for PATCH. */
export function scimPath(name: string, enterprise: boolean): string {
  const at = locate(name, enterprise);
  if (at.kind === 'enable') return 'active';
  if (at.kind === 'password') return PASSWORD_ATTRIBUTE;
  if (at.kind === 'multi') return at.name;
  return `${at.extension ? `${ENTERPRISE_USER}:` : ''}${at.path.join('.')}`;
}

const isScalar = (v: unknown): v is AttributeValue => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const enabled = (v: AttributeValue | undefined) => v === true || String(v).toLowerCase() === 'true';

function valuesAt(resource: ScimResource, at: Location): AttributeValue[] {
  if (at.kind === 'password') return [];
  if (at.kind === 'enable') return typeof resource.active === 'boolean' ? [resource.active ? 'TRUE' : 'FALSE'] : [];
  if (at.kind === 'multi') return itemValues(resource[at.name]);
  let node: unknown = at.extension ? resource[ENTERPRISE_USER] : resource;
  for (const key of at.path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  return isScalar(node) ? [node] : [];
}

function itemValues(items: unknown): AttributeValue[] {
  if (!Array.isArray(items)) return [];
  return items.map((i: unknown) => (isScalar(i) ? i : (i as { value?: unknown })?.value)).filter(isScalar);
}

/** The User's attributes as Tally names them; `requested` (names) keeps only those, and `userName`. */
export function toAttributes(resource: ScimResource, enterprise: boolean, requested?: readonly string[]): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(resource)) {
    if (NOT_ATTRIBUTES.has(key) || key === ENTERPRISE_USER) continue;
    if (key === 'active' && typeof value === 'boolean') attributes[ENABLE_ATTRIBUTE] = [value ? 'TRUE' : 'FALSE'];
    else if (Array.isArray(value)) attributes[key] = itemValues(value);
    else if (isScalar(value)) attributes[key] = [value];
    else if (typeof value === 'object' && value !== null) {
      for (const [sub, v] of Object.entries(value)) if (isScalar(v)) attributes[`${key}.${sub}`] = [v];
    }
  }
  const extension = resource[ENTERPRISE_USER];
  if (enterprise && typeof extension === 'object' && extension !== null) {
    for (const [key, value] of Object.entries(extension)) {
      const v = key === 'manager' ? (value as { value?: unknown })?.value : value;
      if (isScalar(v)) attributes[key] = [v];
    }
  }
  for (const [key, values] of Object.entries(attributes)) if (values.length === 0) delete attributes[key];
  if (!requested) return attributes;
  const wanted = new Set(['userName', ...requested].map((n) => scimPath(n, enterprise).toLowerCase()));
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted.has(scimPath(name, enterprise).toLowerCase())));
}

const sameValues = (a: readonly AttributeValue[], b: readonly AttributeValue[]) =>
  a.length === b.length && [...a].map(String).sort().join('\u0000') === [...b].map(String).sort().join('\u0000');

/** A string in a SCIM filter: JSON's string literal (RFC 7644 §3.4.2.2). */
export const filterString = (value: AttributeValue) => JSON.stringify(String(value));

/** `emails[value eq "a@b.c"]`: a value path picking one item of a multi-valued attribute. */
export const valuePath = (name: string, value: AttributeValue) => `${name}[value eq ${filterString(value)}]`;

/**
 * The PATCH operations that bring `current` to what the deltas say; none for what is so already (a repeated
 * modify sends nothing). Values of a multi-valued attribute are added and removed one by one (value paths),
 * so what another client changed meanwhile stays.
 */
export function patchOperations(current: ScimResource, deltas: readonly AttributeDelta[], enterprise: boolean): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const delta of deltas) {
    const at = locate(delta.path, enterprise);
    const path = scimPath(delta.path, enterprise);
    const now = valuesAt(current, at);
    if (at.kind === 'multi') {
      if (delta.replace !== undefined) {
        if (sameValues(now, delta.replace)) continue;
        ops.push(delta.replace.length === 0 ? { op: 'remove', path } : { op: 'replace', path, value: delta.replace.map((value) => ({ value })) });
        continue;
      }
      const has = (v: AttributeValue) => now.some((n) => String(n) === String(v));
      const add = (delta.add ?? []).filter((v) => !has(v));
      if (add.length > 0) ops.push({ op: 'add', path, value: add.map((value) => ({ value })) });
      for (const v of (delta.delete ?? []).filter(has)) ops.push({ op: 'remove', path: valuePath(path, v) });
      continue;
    }
    let wanted: AttributeValue[];
    if (delta.replace !== undefined) wanted = delta.replace;
    else if (delta.add?.length) wanted = delta.add;
    else wanted = now.filter((v) => !(delta.delete ?? []).some((d) => String(d) === String(v)));
    if (wanted.length > 1) throw new ConnectorError('schema-violation', `${delta.path} is single-valued in SCIM: ${wanted.length} values given`);
    if (at.kind !== 'password' && sameValues(now, wanted)) continue;
    if (wanted.length === 0) {
      if (now.length > 0) ops.push({ op: 'remove', path });
      continue;
    }
    ops.push({ op: 'replace', path, value: at.kind === 'enable' ? enabled(wanted[0]) : wanted[0] });
  }
  return ops;
}

/** A new User's JSON: its name and attributes, with the schemas it uses. */
export function newUser(userName: string, attributes: Attributes, enterprise: boolean): ScimResource {
  const deltas = Object.entries(attributes).map(([path, replace]) => ({ path, replace }));
  const user = applyOperations({ userName }, patchOperations({}, deltas, enterprise));
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ...(user[ENTERPRISE_USER] ? [ENTERPRISE_USER] : [])], ...user };
}

interface ParsedPath {
  container: (r: ScimResource, create: boolean) => Record<string, unknown> | undefined;
  key: string;
  /** `[value eq "x"]`: the items whose value is x. */
  value?: string;
}

function parsePath(path: string): ParsedPath {
  let rest = path;
  let schema: string | undefined;
  if (/^urn:/i.test(path)) {
    const m = /^(urn:.+):([^:]+)$/.exec(path)!;
    [schema, rest] = [m[1], m[2]];
  }
  const filter = /^([^[]+)\[value eq ("(?:[^"\\]|\\.)*")\]$/.exec(rest);
  const parts = (filter ? filter[1] : rest).split('.');
  const key = parts.pop()!;
  return {
    key,
    ...(filter ? { value: JSON.parse(filter[2]) as string } : {}),
    container: (r, create) => {
      let node = r as Record<string, unknown>;
      for (const part of schema ? [schema, ...parts] : parts) {
        if (typeof node[part] !== 'object' || node[part] === null) {
          if (!create) return undefined;
          node[part] = {};
        }
        node = node[part] as Record<string, unknown>;
      }
      return node;
    },
  };
}

const itemKey = (item: unknown) => String(isScalar(item) ? item : (item as { value?: unknown })?.value);

/**
 * A copy of `resource` with the operations applied, as the service would: for a service without PATCH
 * (then the result is PUT). `op` in any letter case, as RFC 7644 allows services to send it.
 */
export function applyOperations(resource: ScimResource, ops: readonly PatchOperation[]): ScimResource {
  const copy = structuredClone(resource);
  for (const operation of ops) {
    const op = String(operation.op).toLowerCase();
    if (!operation.path) {
      if (op !== 'remove' && typeof operation.value === 'object' && operation.value !== null) Object.assign(copy, operation.value);
      continue;
    }
    const at = parsePath(operation.path);
    const node = at.container(copy, op !== 'remove');
    if (!node) continue;
    if (op === 'remove') {
      if (at.value === undefined) delete node[at.key];
      else if (Array.isArray(node[at.key])) node[at.key] = (node[at.key] as unknown[]).filter((i) => itemKey(i) !== at.value);
    } else if (op === 'add' && Array.isArray(operation.value)) {
      const items = Array.isArray(node[at.key]) ? (node[at.key] as unknown[]) : [];
      node[at.key] = [...items, ...operation.value.filter((v) => !items.some((i) => itemKey(i) === itemKey(v)))];
    } else {
      node[at.key] = operation.value;
    }
  }
  return copy;
}
