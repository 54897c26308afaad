/**
 * Paths into configuration values. Schemas accept one object where a list is allowed (`outbound: {...}`),
 * so a path from zod may say `outbound[0]` where the written value has no list: these helpers follow the
 * value as written.
 */
export type PathSegment = string | number;

export function stepInto(value: unknown, segment: PathSegment): unknown {
  if (typeof segment === 'number') {
    if (Array.isArray(value)) return value[segment];
    return segment === 0 ? value : undefined;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) return (value as Record<string, unknown>)[segment];
  return undefined;
}

/** The path as the value is written: `[0]` into something that is not a list is dropped. */
export function writtenPath(value: unknown, path: readonly PathSegment[]): PathSegment[] {
  const out: PathSegment[] = [];
  let current = value;
  for (const segment of path) {
    if (typeof segment === 'number' && !Array.isArray(current) && segment === 0 && current !== undefined) continue;
    out.push(segment);
    current = stepInto(current, segment);
  }
  return out;
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce<unknown>((v, s) => stepInto(v, s), value);
}

/** `schemaHandling.accountType[0].attribute[2].outbound.strength` */
export function fieldPathText(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$:-]*$/.test(segment)) out += (out ? '.' : '') + segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(document)';
}
