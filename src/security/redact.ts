/** Copies of objects fit for logs: values under secret-sounding keys become '***'. */

const REDACTED = '***';

// Compared after lower-casing and dropping `_`/`-`: matches bindPassword, userPassword, TALLY_SECRET_KEY,
// clientSecret, accessToken, api_key; leaves tokenExpression or passwordPolicy alone.
const SENSITIVE_SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secretkey',
  'token',
  'credential',
  'credentials',
  'apikey',
  'privatekey',
  'authorization',
  'cookie',
];

export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[_-]/g, '');
  return SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
}

/** `{ env: X }` / `{ file: X }` name where a secret lives, not the secret: they stay readable. */
function isSecretReference(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    (keys[0] === 'env' || keys[0] === 'file') &&
    typeof (value as Record<string, unknown>)[keys[0]] === 'string'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function redact<T>(value: T): T {
  return redactValue(value, new WeakMap()) as T;
}

function redactValue(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (Array.isArray(value)) {
    if (seen.has(value)) return seen.get(value);
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redactValue(item, seen));
    return out;
  }
  if (!isPlainObject(value)) return value;
  if (seen.has(value)) return seen.get(value);
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      isSensitiveKey(key) && v !== undefined && v !== null && !isSecretReference(v) ? REDACTED : redactValue(v, seen);
  }
  return out;
}
