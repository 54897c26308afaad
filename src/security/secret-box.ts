/** Stored secrets (users' passwords) exist only as `enc:v1:<base64 iv|tag|ciphertext>`. */
import { DecryptionError, open, seal } from './aes-gcm';
import type { SecretKey } from './secret-key';

export { DecryptionError } from './aes-gcm';
export { loadSecretKey, deriveSecretKey, SecretKey, SecretKeyError } from './secret-key';

const PREFIX = 'enc:v1:';
const ASSOCIATED_DATA = 'tally:secret:v1';

export function isEncryptedSecret(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export function encryptSecret(plain: string, key: SecretKey): string {
  return PREFIX + seal(key, Buffer.from(plain, 'utf8'), ASSOCIATED_DATA).toString('base64');
}

export function decryptSecret(encrypted: string, key: SecretKey): string {
  if (!isEncryptedSecret(encrypted)) throw new DecryptionError(`not an encrypted secret (expected the ${PREFIX} form)`);
  return open(key, Buffer.from(encrypted.slice(PREFIX.length), 'base64'), ASSOCIATED_DATA).toString('utf8');
}
