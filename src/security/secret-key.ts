/**
 * The one key that encrypts stored passwords and workflow payloads, derived from TALLY_SECRET_KEY.
 * The key material is kept in a private field so that logging a SecretKey never prints it.
 */
import { createHmac, scryptSync } from 'node:crypto';
import { inspect } from 'node:util';

const KEY_BYTES = 32;
// A fixed salt: every process given the same TALLY_SECRET_KEY must derive the same key.
const SALT = 'tally/TALLY_SECRET_KEY/v1';
const DEV_DEFAULT = 'tally-dev-only-insecure-secret-key';

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

export class SecretKey {
  /** Identifies the key without revealing it; stored next to everything encrypted with it. */
  readonly id: string;
  readonly insecureDevDefault: boolean;
  readonly #material: Buffer;

  constructor(material: Buffer, options: { insecureDevDefault?: boolean } = {}) {
    if (material.length !== KEY_BYTES) throw new SecretKeyError(`a secret key has ${KEY_BYTES} bytes`);
    this.#material = Buffer.from(material);
    this.id = createHmac('sha256', material).update('tally key id').digest('hex').slice(0, 16);
    this.insecureDevDefault = options.insecureDevDefault ?? false;
  }

  /** The raw key bytes, for the cipher only. */
  material(): Buffer {
    return this.#material;
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  toString(): string {
    return `SecretKey(${this.id})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Any string becomes a 256-bit key; scrypt makes guessing a weak passphrase from ciphertexts expensive. */
export function deriveSecretKey(passphrase: string): SecretKey {
  if (passphrase.length === 0) throw new SecretKeyError('TALLY_SECRET_KEY is empty');
  return new SecretKey(scryptSync(passphrase, SALT, KEY_BYTES, { N: 1 << 14, r: 8, p: 1 }));
}

/**
 * TALLY_SECRET_KEY is required; only with TALLY_DEV=1 a fixed, publicly known development key is used,
 * and `warn` is told so (stderr unless the caller, a one-shot CLI command, passes its own).
 */
export function loadSecretKey(
  env: Readonly<Record<string, string | undefined>> = process.env,
  warn: (message: string) => void = (m) => console.warn(m),
): SecretKey {
  const configured = env.TALLY_SECRET_KEY;
  if (configured !== undefined && configured !== '') return deriveSecretKey(configured);
  if (env.TALLY_DEV === '1') {
    warn(
      '!!! TALLY_SECRET_KEY is not set: using the built-in DEVELOPMENT key (TALLY_DEV=1). ' +
        'Anything encrypted now (passwords, workflow payloads) is readable by anyone with the Tally source. ' +
        'Never use this for real data. !!!',
    );
    return new SecretKey(scryptSync(DEV_DEFAULT, SALT, KEY_BYTES, { N: 1 << 14, r: 8, p: 1 }), {
      insecureDevDefault: true,
    });
  }
  throw new SecretKeyError(
    'TALLY_SECRET_KEY is not set. It encrypts stored passwords and workflow payloads: set it to a long random ' +
      'string (the same value for every Tally process), e.g. `openssl rand -base64 32`. ' +
      'For local development only, TALLY_DEV=1 allows a built-in insecure key.',
  );
}
