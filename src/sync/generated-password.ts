/**
 * Password inbound `generate` (weak): a user made from an account, who has no password, gets one the
 * object type's value policy allows. It is sealed at once; the plaintext lives only in this function.
 */
import { randomInt } from 'node:crypto';
import type { ObjectTypeDefinition } from '../schema/config';
import type { UserDoc } from '../schema/objects';
import { generatePassword, passwordToGenerate } from '../model';
import { ConfigurationLookupError } from '../model/resources';
import { encryptSecret } from '../security/secret-box';
import type { SecretKey } from '../security/secret-key';

export function withGeneratedPassword(user: UserDoc, objectType: ObjectTypeDefinition, key: SecretKey | undefined, now: string): UserDoc {
  const policy = passwordToGenerate(objectType, user);
  if (!policy) return user;
  if (!key) throw new ConfigurationLookupError('a password is to be generated (credentials/password inbound), but Tally has no secret key to seal it');
  const encrypted = encryptSecret(generatePassword(policy, randomInt), key);
  return { ...user, credentials: { ...user.credentials, password: { encrypted, changedAt: now } } };
}
