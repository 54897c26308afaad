/**
 * Active Directory's own encodings (pure): objectGUID and objectSid are binary, shown as the usual
 * strings; unicodePwd is written as the quoted password in UTF-16LE; userAccountControl is a bit field
 * whose ACCOUNTDISABLE bit is an account's activation.
 */
import { splitDn } from '../ldap/ldap-dn';

/** The virtual attribute carrying an account's activation: `TRUE` (enabled) or `FALSE` (ACCOUNTDISABLE set). */
export const ENABLE_ATTRIBUTE = '__ENABLE__';
export const ACCOUNTDISABLE = 0x2;
/** userAccountControl of a new account when none is given: NORMAL_ACCOUNT. */
export const NORMAL_ACCOUNT = 0x200;

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: the first three groups are little-endian. */
export function guidToString(bytes: Buffer): string {
  const hex = (from: number, to: number, reversed: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reversed ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}

/** The bytes of a GUID string; undefined when it is not one. */
export function guidToBytes(guid: string): Buffer | undefined {
  if (!GUID_PATTERN.test(guid)) return undefined;
  const [a, b, c, d, e] = guid.split('-').map((p) => Buffer.from(p, 'hex'));
  return Buffer.concat([a.reverse(), b.reverse(), c.reverse(), d, e]);
}

/** A binary SID as `S-1-5-21-...`. */
export function sidToString(bytes: Buffer): string {
  const count = bytes[1];
  const authority = bytes.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(8 + 4 * i));
  return ['S', bytes[0], authority, ...subs].join('-');
}

/** What unicodePwd takes: the password in double quotes, UTF-16LE. */
export function unicodePwdValue(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

export function isDisabled(userAccountControl: number): boolean {
  return (userAccountControl & ACCOUNTDISABLE) !== 0;
}

/** userAccountControl with only the ACCOUNTDISABLE bit changed. */
export function withEnabled(userAccountControl: number, enabled: boolean): number {
  return enabled ? userAccountControl & ~ACCOUNTDISABLE : userAccountControl | ACCOUNTDISABLE;
}

/** `TRUE`/`FALSE` (LDAP booleans, as Tally writes them) and true/false, else undefined. */
export function parseEnabled(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** The control that has AD return deleted objects (tombstones) too. */
export const SHOW_DELETED_CONTROL = '1.2.840.113556.1.4.417';

/** The domain's naming context of a DN: its DC= part (where Deleted Objects lives). */
export function domainOf(dn: string): string {
  return splitDn(dn)
    .filter((rdn) => /^dc=/i.test(rdn))
    .join(',');
}

/**
 * The local USNs of an object's attributes, from its replPropertyMetaData (a replPropertyMetaDataBlob:
 * version, reserved, count, reserved, then per attribute 48 bytes whose last 8 are its local USN).
 */
export function localUsns(replPropertyMetaData: Buffer): number[] {
  const count = replPropertyMetaData.readUInt32LE(8);
  return Array.from({ length: count }, (_, i) => Number(replPropertyMetaData.readBigUInt64LE(16 + 48 * i + 40)));
}
