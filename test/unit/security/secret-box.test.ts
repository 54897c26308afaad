import { inspect } from 'node:util';
import {
  decryptSecret,
  DecryptionError,
  deriveSecretKey,
  encryptSecret,
  isEncryptedSecret,
  loadSecretKey,
  SecretKeyError,
} from '../../../src/security/secret-box';

const key = deriveSecretKey('correct horse battery staple');
const otherKey = deriveSecretKey('another key');

describe('secret box', () => {
  it('round-trips a password and never produces the same ciphertext twice', () => {
    const a = encryptSecret('s3cr3t-päss', key);
    const b = encryptSecret('s3cr3t-päss', key);
    expect(a).toMatch(/^enc:v1:[A-Za-z0-9+/]+=*$/);
    expect(a).not.toEqual(b);
    expect(a).not.toContain('s3cr3t');
    expect(isEncryptedSecret(a)).toBe(true);
    expect(decryptSecret(a, key)).toBe('s3cr3t-päss');
    expect(decryptSecret(b, key)).toBe('s3cr3t-päss');
  });

  it('rejects a value encrypted with another key', () => {
    const sealed = encryptSecret('pw', otherKey);
    expect(() => decryptSecret(sealed, key)).toThrow(DecryptionError);
    expect(() => decryptSecret(sealed, key)).toThrow(/different TALLY_SECRET_KEY/);
  });

  it('rejects a tampered value', () => {
    const sealed = Buffer.from(encryptSecret('pw', key).slice('enc:v1:'.length), 'base64');
    sealed[sealed.length - 1] ^= 1;
    expect(() => decryptSecret(`enc:v1:${sealed.toString('base64')}`, key)).toThrow(DecryptionError);
    expect(() => decryptSecret('enc:v1:AAAA', key)).toThrow(/truncated/);
  });

  it('refuses plaintext and does not echo it in the error', () => {
    expect(isEncryptedSecret('hunter2')).toBe(false);
    expect(() => decryptSecret('hunter2', key)).toThrow(DecryptionError);
    try {
      decryptSecret('hunter2', key);
    } catch (e) {
      expect(String(e)).not.toContain('hunter2');
    }
  });
});

describe('loadSecretKey', () => {
  it('derives the same key from the same TALLY_SECRET_KEY in every process', () => {
    const a = loadSecretKey({ TALLY_SECRET_KEY: 'correct horse battery staple' });
    expect(a.id).toBe(key.id);
    expect(a.material().equals(key.material())).toBe(true);
    expect(a.insecureDevDefault).toBe(false);
    expect(decryptSecret(encryptSecret('x', a), key)).toBe('x');
    expect(loadSecretKey({ TALLY_SECRET_KEY: 'another key' }).id).toBe(otherKey.id);
  });

  it('fails with a clear error when TALLY_SECRET_KEY is missing outside dev mode', () => {
    expect(() => loadSecretKey({})).toThrow(SecretKeyError);
    expect(() => loadSecretKey({ TALLY_SECRET_KEY: '' })).toThrow(/TALLY_SECRET_KEY is not set/);
    expect(() => loadSecretKey({ TALLY_DEV: 'true' })).toThrow(/TALLY_DEV=1/);
  });

  it('uses a loudly flagged development key only with TALLY_DEV=1', () => {
    const warnings: string[] = [];
    const dev = loadSecretKey({ TALLY_DEV: '1' }, (m) => warnings.push(m));
    expect(dev.insecureDevDefault).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/DEVELOPMENT key/);
    expect(loadSecretKey({ TALLY_DEV: '1' }, () => undefined).id).toBe(dev.id);
    // A configured key wins over dev mode, silently.
    const configured = loadSecretKey({ TALLY_DEV: '1', TALLY_SECRET_KEY: 'k' }, (m) => warnings.push(m));
    expect(configured.insecureDevDefault).toBe(false);
    expect(warnings).toHaveLength(1);
  });

  it('never shows the key material when logged', () => {
    const hex = key.material().toString('hex');
    const b64 = key.material().toString('base64');
    for (const shown of [JSON.stringify({ key }), inspect(key), String(key), inspect({ nested: { key } })]) {
      expect(shown).toContain(key.id);
      expect(shown).not.toContain(hex);
      expect(shown).not.toContain(b64);
    }
  });
});
