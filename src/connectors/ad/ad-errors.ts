/**
 * Active Directory's errors: the LDAP result code gives the kind, as for any directory, and AD's
 * extended error (the Windows error code its message starts with, `0000052D: ...`, or the `data 52e` of
 * a refused bind) says why, often tersely: its meaning is added to the server's own message.
 */
import { ResultCodeError } from 'ldapts';
import { ConnectorError, type ConnectorErrorKind } from '../connector-errors';
import { mapLdapError } from '../ldap/ldap-errors';

interface Meaning {
  text: string;
  /** When the extended error says more than the result code: AD's 53 on a password over plain LDAP is the set-up's fault. */
  kind?: ConnectorErrorKind;
}

/** Windows error codes AD gives for writes, by the hexadecimal number its message starts with. */
const WRITE_ERRORS: Record<number, Meaning> = {
  0x5: { text: 'access denied: the service account lacks the right (e.g. Reset Password, or write on this attribute)' },
  0x1f: { text: 'AD takes unicodePwd only over an encrypted connection: use ldaps:// or startTls', kind: 'configuration' },
  0x56: { text: 'the old password given is wrong' },
  0x57: { text: 'a value AD cannot convert to the attribute’s syntax' },
  0x52d: { text: "the password does not meet the domain's password policy (length, complexity, history or minimum age)" },
  0x200b: { text: "a value of the wrong syntax or size for the attribute" },
  0x202f: { text: 'a constraint of the attribute (a system-only attribute, or a value out of its range)' },
  0x2035: { text: 'an operation AD will not perform (an attribute only AD sets, such as objectSid)' },
};

/** The `data` code of a refused bind (AcceptSecurityContext error). */
const BIND_ERRORS: Record<string, string> = {
  '525': 'no such user',
  '52e': 'wrong password',
  '530': 'not permitted to log on at this time',
  '531': 'not permitted to log on from this workstation',
  '532': 'the password has expired',
  '533': 'the account is disabled',
  '701': 'the account has expired',
  '773': 'the password must be reset',
  '775': 'the account is locked out',
};

export function adErrorMeaning(code: number, message: string): Meaning | undefined {
  const bind = code === 49 ? /\bdata ([0-9a-f]{3})\b/i.exec(message) : null;
  if (bind) {
    const text = BIND_ERRORS[bind[1].toLowerCase()];
    return text === undefined ? undefined : { text };
  }
  const extended = /^([0-9A-F]{8}):/i.exec(message.trim());
  return extended ? WRITE_ERRORS[parseInt(extended[1], 16)] : undefined;
}

export function mapAdError(e: unknown, context: string, secrets: readonly (string | undefined)[] = []): ConnectorError {
  const mapped = mapLdapError(e, context, secrets);
  const meaning = e instanceof ResultCodeError ? adErrorMeaning(e.code, e.message) : undefined;
  if (meaning === undefined) return mapped;
  return new ConnectorError(meaning.kind ?? mapped.kind, `${mapped.message} (Active Directory: ${meaning.text})`, mapped.nativeCode);
}
