import { guidToBytes, guidToString, sidToString, unicodePwdValue, withEnabled } from '../../../src/connectors/ad/ad-values';
import { adConnectorSchema } from '../../../src/schema/config';

describe("Active Directory's encodings", () => {
  it('shows objectGUID bytes as the usual GUID string (first three groups little-endian) and back', () => {
    const bytes = Buffer.from('78563412341278561234567812345678', 'hex');
    expect(guidToString(bytes)).toBe('12345678-1234-5678-1234-567812345678');
    expect(guidToBytes('12345678-1234-5678-1234-567812345678')).toEqual(bytes);
    expect(guidToBytes('not-a-guid')).toBeUndefined();
  });

  it('shows a binary SID as S-1-...', () => {
    expect(sidToString(Buffer.from('01020000000000052000000020020000', 'hex'))).toBe('S-1-5-32-544');
  });

  it('writes unicodePwd as the quoted password in UTF-16LE', () => {
    expect(unicodePwdValue('Pw1!')).toEqual(Buffer.from('"\0P\0w\x001\0!\0"\0', 'latin1'));
  });

  it('changes only the ACCOUNTDISABLE bit of userAccountControl', () => {
    expect(withEnabled(0x10200, false)).toBe(0x10202);
    expect(withEnabled(0x10202, true)).toBe(0x10200);
    expect(withEnabled(0x10200, true)).toBe(0x10200);
  });

  it('configures the ad connector with sensible defaults and refuses a URL that is no LDAP one', () => {
    const config = adConnectorSchema.parse({ type: 'ad', url: 'ldaps://dc1.example.com', bindDn: 'CN=tally,CN=Users,DC=example,DC=com', bindPassword: { env: 'AD_PW' }, baseContext: 'OU=people,DC=example,DC=com' });
    expect(config).toMatchObject({ allowPlainPasswords: false, objectClasses: ['top', 'person', 'organizationalPerson', 'user'], searchFilter: '(&(objectClass=user)(objectCategory=person))' });
    const bad = adConnectorSchema.safeParse({ ...config, url: 'http://dc1' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['url'], message: expect.stringMatching(/ldaps:\/\//) });
  });
});
