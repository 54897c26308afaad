import { ConstraintViolationError, InvalidCredentialsError, UnwillingToPerformError } from 'ldapts';
import { mapAdError } from '../../../src/connectors/ad/ad-errors';
import { mapLdapError } from '../../../src/connectors/ldap/ldap-errors';

/** Messages as Windows AD gives them: terse, with the Windows error code first. */
describe("Active Directory's errors, told with why", () => {
  it("says a password over plain LDAP is the resource's set-up (configuration), keeping AD's words", () => {
    const e = mapAdError(new UnwillingToPerformError('0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0'), 'modify CN=will');
    expect(e.kind).toBe('configuration');
    expect(e.nativeCode).toBe(53);
    expect(e.message).toMatch(/^modify CN=will: LDAP result 53 .*0000001F: SvcErr.*\(Active Directory: AD takes unicodePwd only over an encrypted connection: use ldaps:\/\/ or startTls\)$/);
  });

  it("says a password Windows refuses with WILL_NOT_PERFORM breaks the domain's password policy (schema-violation)", () => {
    const e = mapAdError(new UnwillingToPerformError('0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0'), 'modify CN=will');
    expect(e.kind).toBe('schema-violation');
    expect(e.message).toMatch(/\(Active Directory: the password does not meet the domain's password policy/);
  });

  it("tells a refused bind's data code", () => {
    const e = mapAdError(new InvalidCredentialsError('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563'), 'bind', ['s3cret']);
    expect(e.kind).toBe('configuration');
    expect(e.message).toMatch(/\(Active Directory: the account is locked out\)$/);
  });

  it("leaves an error with no extended code as the LDAP connector tells it", () => {
    const native = new ConstraintViolationError('some constraint');
    const e = mapAdError(native, 'create CN=x');
    expect(e.kind).toBe('schema-violation');
    expect(e.message).toBe(mapLdapError(native, 'create CN=x').message);
  });
});
