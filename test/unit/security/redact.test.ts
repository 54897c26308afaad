import { isSensitiveKey, redact } from '../../../src/security/redact';

describe('redact', () => {
  it('replaces values of secret-sounding keys at any depth and leaves the input untouched', () => {
    const input = {
      name: 'jack',
      password: 'p1',
      credentials: { password: 'p2' },
      connector: { url: 'ldap://x', bindDn: 'cn=admin', bindPassword: 'p3' },
      api: { token: 't1', accessToken: 't2', TALLY_SECRET_KEY: 'k', client_secret: 's', 'api-key': 'a' },
      attributes: [{ userPassword: ['p4'] }, { cn: 'Jack' }],
      headers: { Authorization: 'Bearer t3' },
    };
    const copy = structuredClone(input);
    const out = redact(input);
    expect(out).toEqual({
      name: 'jack',
      password: '***',
      credentials: '***',
      connector: { url: 'ldap://x', bindDn: 'cn=admin', bindPassword: '***' },
      api: { token: '***', accessToken: '***', TALLY_SECRET_KEY: '***', client_secret: '***', 'api-key': '***' },
      attributes: [{ userPassword: '***' }, { cn: 'Jack' }],
      headers: { Authorization: '***' },
    });
    expect(input).toEqual(copy);
    expect(JSON.stringify(out)).not.toMatch(/p1|p2|p3|p4|t1|t2|t3/);
  });

  it('keeps secret references, which say where a secret is, not what it is', () => {
    expect(redact({ bindPassword: { env: 'TALLY_LDAP_PASSWORD' }, password: { file: '/run/pw' } })).toEqual({
      bindPassword: { env: 'TALLY_LDAP_PASSWORD' },
      password: { file: '/run/pw' },
    });
    expect(redact({ password: { env: 'X', extra: 'leak' } })).toEqual({ password: '***' });
  });

  it('keeps keys that only contain a secret word, empty values and non-plain objects', () => {
    const when = new Date(0);
    expect(
      redact({ tokenExpression: { script: { code: 'x' } }, passwordPolicy: 'p', password: null, when, n: 1 }),
    ).toEqual({ tokenExpression: { script: { code: 'x' } }, passwordPolicy: 'p', password: null, when, n: 1 });
    expect(redact('plain')).toBe('plain');
    expect(redact([{ secret: 1 }])).toEqual([{ secret: '***' }]);
  });

  it('copes with cycles', () => {
    const a: Record<string, unknown> = { password: 'x' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.password).toBe('***');
    expect(out.self).toBe(out);
  });

  it('recognises key spellings', () => {
    for (const k of ['password', 'bindPassword', 'USER_PASSWORD', 'secret', 'token', 'credentials', 'privateKey'])
      expect(isSensitiveKey(k)).toBe(true);
    for (const k of ['name', 'tokenExpression', 'passwordPolicy', 'description']) expect(isSensitiveKey(k)).toBe(false);
  });
});
