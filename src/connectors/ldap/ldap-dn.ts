/**
 * Just enough RFC 4514 DN handling for renames and "is this entry under the base context": split RDNs
 * honouring escapes, unescape values, escape new values, compare DNs case-insensitively.
 * Multi-valued RDNs (`cn=a+sn=b`) are compared as whole strings; renames use their first AVA.
 */

/** Splits a DN into its RDN strings (still escaped), outermost last. */
export function splitDn(dn: string): string[] {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === '\\' && i + 1 < dn.length) {
      current += c + dn[i + 1];
      i++;
    } else if (c === ',' || c === ';') {
      rdns.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim() !== '' || rdns.length > 0) rdns.push(current.trim());
  return rdns;
}

/** The first AVA of an RDN: attribute type and unescaped value. */
export function parseRdn(rdn: string): { attribute: string; value: string } {
  const eq = rdn.indexOf('=');
  if (eq <= 0) throw new Error(`not an RDN: ${rdn}`);
  const attribute = rdn.slice(0, eq).trim();
  let raw = rdn.slice(eq + 1);
  const plus = findUnescaped(raw, '+');
  if (plus >= 0) raw = raw.slice(0, plus);
  return { attribute, value: unescapeValue(raw.trim()) };
}

export function parentDn(dn: string): string {
  return splitDn(dn).slice(1).join(',');
}

export function escapeRdnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => '\\' + c);
  if (out.startsWith('#') || out.startsWith(' ')) out = '\\' + out;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = out.slice(0, -1) + '\\ ';
  return out;
}

/** The DN an object gets when its naming attribute takes a new value. */
export function renamedDn(dn: string, attribute: string, value: string): string {
  const parent = parentDn(dn);
  const rdn = `${attribute}=${escapeRdnValue(value)}`;
  return parent ? `${rdn},${parent}` : rdn;
}

/** A canonical form for comparisons: attribute types and values lower-cased, escapes resolved. */
export function normalizeDn(dn: string): string {
  return splitDn(dn)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)\+/)
        .map((ava) => {
          const eq = ava.indexOf('=');
          if (eq <= 0) return ava.trim().toLowerCase();
          return `${ava.slice(0, eq).trim().toLowerCase()}=${unescapeValue(ava.slice(eq + 1).trim()).toLowerCase()}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

export function sameDn(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** True when dn is a well-formed DN (every RDN `type=value`) that is base or below it. */
export function isWellFormedDnUnder(dn: string, base: string): boolean {
  return !splitDn(dn).some((rdn) => rdn.indexOf('=') <= 0) && isUnderDn(dn, base);
}

/** True when dn is base itself or below it. */
export function isUnderDn(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizedBase(base);
  return d === b || d.endsWith(',' + b);
}

/** Bases are few and asked about for every changelog record: each is normalized once. */
const normalizedBases = new Map<string, string>();
function normalizedBase(base: string): string {
  let normalized = normalizedBases.get(base);
  if (normalized === undefined) {
    if (normalizedBases.size >= 1_000) normalizedBases.clear();
    normalized = normalizeDn(base);
    normalizedBases.set(base, normalized);
  }
  return normalized;
}

function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      const hex = raw.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        const ch = String.fromCodePoint(raw.codePointAt(i + 1)!);
        bytes.push(...enc.encode(ch));
        i += ch.length;
      }
    } else {
      const ch = String.fromCodePoint(raw.codePointAt(i)!);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function findUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}
