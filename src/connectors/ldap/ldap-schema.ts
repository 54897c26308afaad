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
