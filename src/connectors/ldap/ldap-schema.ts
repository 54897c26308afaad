/** Reads which attributes a set of object classes allows, from the server's subschema entry. */
interface ObjectClassDefinition {
  names: string[];
  superiors: string[];
  must: string[];
  may: string[];
}

/** Parses RFC 4512 objectClass descriptions, e.g. `( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ... )`. */
export function parseObjectClassDefinition(text: string): ObjectClassDefinition {
  return {
    names: oidList(text, 'NAME'),
    superiors: oidList(text, 'SUP'),
    must: oidList(text, 'MUST'),
    may: oidList(text, 'MAY'),
  };
}

function oidList(text: string, keyword: string): string[] {
  const re = new RegExp(`\\s${keyword}\\s+(\\([^)]*\\)|'[^']*'|\\S+)`);
  const m = re.exec(text);
  if (!m) return [];
  return m[1]
    .replace(/[()]/g, ' ')
    .split(/[\s$]+/)
    .map((s) => s.replace(/'/g, ''))
    .filter((s) => s !== '');
}

/** All MUST and MAY attributes of the classes and their superiors, in definition order, without duplicates. */
export function attributesOfClasses(definitions: readonly string[], classes: readonly string[]): string[] {
  const byName = new Map<string, ObjectClassDefinition>();
  for (const text of definitions) {
    const def = parseObjectClassDefinition(text);
    for (const n of def.names) byName.set(n.toLowerCase(), def);
  }
  const seenClasses = new Set<string>();
  const attributes = new Map<string, string>();
  const visit = (name: string) => {
    const key = name.toLowerCase();
    if (seenClasses.has(key)) return;
    seenClasses.add(key);
    const def = byName.get(key);
    if (!def) return;
    def.superiors.forEach(visit);
    for (const a of [...def.must, ...def.may]) if (!attributes.has(a.toLowerCase())) attributes.set(a.toLowerCase(), a);
  };
  classes.forEach(visit);
  return [...attributes.values()];
}

/** An attribute type's names (`cn`, `commonName`) and whether it is operational (USAGE other than userApplications). */
export function parseAttributeTypeDefinition(text: string): { names: string[]; operational: boolean } {
  const usage = /\sUSAGE\s+(\S+)/.exec(text)?.[1];
  return { names: oidList(text, 'NAME'), operational: usage !== undefined && usage !== 'userApplications' };
}

/**
 * What an entry of these object classes (structural with its superclasses, and auxiliary ones) can
 * have: their MUST and MAY attributes under every name the attribute types give them, and the
 * operational attributes the server keeps for every entry. `unknownClasses`: classes the schema lacks.
 */
export function attributesAllowed(
  subschema: { objectClasses: readonly string[]; attributeTypes: readonly string[] },
  classes: readonly string[],
): { attributes: string[]; unknownClasses: string[] } {
  const known = new Set(subschema.objectClasses.flatMap((t) => parseObjectClassDefinition(t).names.map((n) => n.toLowerCase())));
  const types = subschema.attributeTypes.map(parseAttributeTypeDefinition);
  const names = new Map<string, string>();
  const add = (n: string) => names.has(n.toLowerCase()) || names.set(n.toLowerCase(), n);
  for (const a of attributesOfClasses(subschema.objectClasses, classes)) {
    const type = types.find((t) => t.names.some((n) => n.toLowerCase() === a.toLowerCase()));
    (type?.names ?? [a]).forEach(add);
  }
  types.filter((t) => t.operational).forEach((t) => t.names.forEach(add));
  return { attributes: [...names.values()], unknownClasses: classes.filter((c) => !known.has(c.toLowerCase())) };
}
