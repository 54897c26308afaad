/** Passwords written to LDAP (`userPassword`) are stored as `{SSHA}` hashes, never as given. */
import type { AttributeDelta, AttributeValue, Attributes } from '../../schema/objects';
import { hashedPasswords } from '../password-hash';

const PASSWORD_ATTRIBUTES = new Set(['userpassword']);
const isPassword = (name: string) => PASSWORD_ATTRIBUTES.has(name.toLowerCase());
const hashed = (values: readonly AttributeValue[]) => hashedPasswords(values, 'SSHA') as AttributeValue[];

export function hashPasswordAttributes(attributes: Attributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).map(([name, values]) => [name, isPassword(name) ? hashed(values) : values]));
}

export function hashPasswordDeltas(deltas: readonly AttributeDelta[]): AttributeDelta[] {
  return deltas.map((d) =>
    isPassword(d.path) ? { ...d, ...(d.replace ? { replace: hashed(d.replace) } : {}), ...(d.add ? { add: hashed(d.add) } : {}) } : d,
  );
}
