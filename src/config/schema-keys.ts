/**
 * The keys a zod object schema allows at a given path, so "unknown key" messages can say what was expected.
 * Walks zod 4's internal definitions; returns undefined wherever the schema's shape can't be followed.
 */
import type { z } from 'zod';
import { stepInto, type PathSegment } from './value-path';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object-like schemas `schema` may stand for, given the value it validates. */
function objectSchemas(schema: z.ZodType, value: unknown, depth = 0): Def[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return [def];
    case 'pipe':
      // preprocess(fn, schema) is pipe(transform, schema); schema.transform(fn) is pipe(schema, transform).
      return defOf(def.in!).type === 'transform'
        ? objectSchemas(def.out!, value, depth + 1)
        : objectSchemas(def.in!, value, depth + 1);
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return objectSchemas(def.innerType!, value, depth + 1);
    case 'lazy':
      return objectSchemas(def.getter!(), value, depth + 1);
    case 'union': {
      const options = def.options ?? [];
      if (def.discriminator && value && typeof value === 'object') {
        const tag = (value as Record<string, unknown>)[def.discriminator];
        const chosen = options.filter((o) =>
          objectSchemas(o, value, depth + 1).some((d) => {
            const lit = d.shape?.[def.discriminator!];
            return lit !== undefined && (defOf(lit) as { values?: unknown[] }).values?.includes(tag);
          }),
        );
        if (chosen.length > 0) return chosen.flatMap((o) => objectSchemas(o, value, depth + 1));
      }
      return options.flatMap((o) => objectSchemas(o, value, depth + 1));
    }
    default:
      return [];
  }
}

function elementSchema(schema: z.ZodType, depth = 0): z.ZodType | undefined {
  if (depth > 20) return undefined;
  const def = defOf(schema);
  switch (def.type) {
    case 'array':
      return def.element;
    case 'pipe':
      return defOf(def.in!).type === 'transform' ? elementSchema(def.out!, depth + 1) : elementSchema(def.in!, depth + 1);
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return elementSchema(def.innerType!, depth + 1);
    case 'lazy':
      return elementSchema(def.getter!(), depth + 1);
    default:
      return undefined;
  }
}

/** Follows a zod issue path (as zod reports it, list indices included) through schema and value together. */
export function allowedKeysAt(root: z.ZodType, input: unknown, path: readonly PathSegment[]): string[] | undefined {
  let schemas: z.ZodType[] = [root];
  let value = input;
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const s of schemas) {
      if (typeof segment === 'number') {
        const el = elementSchema(s);
        if (el) next.push(el);
      } else {
        for (const d of objectSchemas(s, value)) if (d.shape?.[segment]) next.push(d.shape[segment]);
      }
    }
    if (next.length === 0) return undefined;
    schemas = next;
    value = stepInto(value, segment);
  }
  const keys = new Set(schemas.flatMap((s) => objectSchemas(s, value)).flatMap((d) => Object.keys(d.shape ?? {})));
  return keys.size > 0 ? [...keys] : undefined;
}
