import { randomBytes } from 'node:crypto';
import { openAttributes, openDeltas, openingSealedValues } from '../../../src/provisioning/sealed-values';
import type { Connector } from '../../../src/connectors/connector-types';
import { hashPasswordAttributes, hashPasswordDeltas } from '../../../src/connectors/ldap/ldap-passwords';
import { isHashedPassword, saltedHash, verifySaltedHash } from '../../../src/connectors/password-hash';
import { deriveSecretKey, encryptSecret } from '../../../src/security/secret-box';

const key = deriveSecretKey(randomBytes(32).toString('hex'));
const sealed = encryptSecret('Tortuga-1!', key);

describe('sealed values', () => {
  it('are opened in what a connector writes, other values untouched', () => {
    expect(openAttributes({ userPassword: [sealed], cn: ['Will'] }, key)).toEqual({ userPassword: ['Tortuga-1!'], cn: ['Will'] });
    expect(openDeltas([{ path: 'userPassword', replace: [sealed] }, { path: 'cn', add: ['W'] }], key)).toEqual([
      { path: 'userPassword', replace: ['Tortuga-1!'] },
      { path: 'cn', add: ['W'] },
    ]);
  });

  it('are refused without a key to open them', () => {
    expect(() => openAttributes({ userPassword: [sealed] }, undefined)).toThrow(/no secret key/);
  });

  it('reach the connector opened on create, createMany and modify', async () => {
    const seen: unknown[] = [];
    const inner = {
      create: async (_n: string, attributes: unknown) => (seen.push(attributes), null),
      createMany: async (objects: unknown) => (seen.push(objects), []),
      modify: async (_p: string, deltas: unknown) => (seen.push(deltas), null),
      close: async () => undefined,
    } as unknown as Connector;
    const connector = openingSealedValues(inner, key);
    await connector.create('will', { pw: [sealed] });
    await connector.createMany!([{ secondaryIdentifier: 'will', attributes: { pw: [sealed] } }]);
    await connector.modify('1', [{ path: 'pw', replace: [sealed] }]);
    expect(JSON.stringify(seen)).not.toContain('enc:v1:');
    expect(JSON.stringify(seen).match(/Tortuga-1!/g)).toHaveLength(3);
    await expect(connector.close()).resolves.toBeUndefined();
  });
});

describe('password hashes', () => {
  it('are salted and verifiable; LDAP userPassword is hashed, a hash kept', () => {
    const a = saltedHash('secret', 'SSHA');
    expect(a).toMatch(/^\{SSHA\}/);
    expect(a).not.toBe(saltedHash('secret', 'SSHA'));
    expect(verifySaltedHash('secret', a)).toBe(true);
    expect(verifySaltedHash('Secret', a)).toBe(false);
    expect(verifySaltedHash('secret', saltedHash('secret', 'SSHA256'))).toBe(true);
    const hashed = hashPasswordAttributes({ userPassword: ['secret'], cn: ['secret'] });
    expect(isHashedPassword(hashed.userPassword![0])).toBe(true);
    expect(hashed.cn).toEqual(['secret']);
    expect(hashPasswordDeltas([{ path: 'userPassword', replace: ['{SSHA}abc'] }])).toEqual([{ path: 'userPassword', replace: ['{SSHA}abc'] }]);
  });
});
