/**
 * Passwords are stored on resources as salted hashes in the `{SCHEME}base64` form LDAP servers read
 * (`{SSHA}`: SHA-1 of password and salt, then the salt, as slappasswd makes it). A value that already
 * names its scheme is stored as it is.
 */
import { createHash, randomBytes } from 'node:crypto';

export type HashScheme = 'SSHA' | 'SSHA256';

const algorithms: Record<HashScheme, string> = { SSHA: 'sha1', SSHA256: 'sha256' };

export function saltedHash(password: string, scheme: HashScheme = 'SSHA'): string {
  const salt = randomBytes(8);
  const digest = createHash(algorithms[scheme]).update(password, 'utf8').update(salt).digest();
  return `{${scheme}}${Buffer.concat([digest, salt]).toString('base64')}`;
}

export function isHashedPassword(value: unknown): boolean {
  return typeof value === 'string' && /^\{[A-Za-z0-9.-]+\}/.test(value);
}

/** Checks a password against a `{SSHA}` / `{SSHA256}` hash. */
export function verifySaltedHash(password: string, hashed: string): boolean {
  const m = /^\{(SSHA|SSHA256)\}(.+)$/.exec(hashed);
  if (!m) return false;
  const scheme = m[1] as HashScheme;
  const bytes = Buffer.from(m[2]!, 'base64');
  const size = scheme === 'SSHA' ? 20 : 32;
  const digest = createHash(algorithms[scheme]).update(password, 'utf8').update(bytes.subarray(size)).digest();
  return digest.equals(bytes.subarray(0, size));
}

/** The values as they are to be stored: each one not hashed yet is hashed. */
export function hashedPasswords<T>(values: readonly T[], scheme: HashScheme): Array<T | string> {
  return values.map((v) => (isHashedPassword(v) ? v : saltedHash(String(v), scheme)));
}
