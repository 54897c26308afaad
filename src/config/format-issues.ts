/**
 * Turns zod issues into problems an IDM engineer can act on: the field path as written in the file and
 * "expected ..., found ...". Values under secret-sounding keys are never shown. Shared by the YAML loader
 * and the HTTP API.
 */
import type { z } from 'zod';
import { isSensitiveKey } from '../security/redact';
import { allowedKeysAt } from './schema-keys';
import { fieldPathText, valueAt, writtenPath, type PathSegment } from './value-path';

export interface FieldProblem {
  /** Path into the input as written (see value-path.ts). */
  path: PathSegment[];
  /** The same path as text, e.g. `schemaHandling.accountType[0].attribute[2].outbound.strength`. */
  field: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

const MAX_SHOWN = 60;

function describeFound(value: unknown, hideValue: boolean): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (hideValue) return `a ${typeof value} (value not shown)`;
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value;
    return `"${shown}"`;
  }
  return `${typeof value} ${String(value)}`;
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  int: 'an integer',
  bigint: 'an integer',
  date: 'a date',
};

const quoteAll = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(', ');

/** The candidate nearest to the word (a few edits at most), to suggest it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function suggest(found: unknown, options: readonly unknown[], hide: boolean): string {
  if (hide || typeof found !== 'string') return '';
  const match = closest(found, options.filter((o): o is string => typeof o === 'string'));
  return match ? ` (did you mean "${match}"?)` : '';
}

/** A union whose branches all failed: report the branch that got furthest into the value. */
function bestBranch(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  const branches = issue.errors.filter((b) => b.length > 0);
  if (branches.length === 0) return undefined;
  const depth = (b: readonly Issue[]) => Math.max(...b.map((i) => i.path.length));
  const best = branches.reduce((a, b) => (depth(b) > depth(a) || (depth(b) === depth(a) && b.length < a.length) ? b : a));
  if (depth(best) === 0 && branches.length > 1) return undefined;
  return best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue);
}

function messageFor(issue: Issue, found: unknown, hide: boolean): string {
  const got = describeFound(found, hide);
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${ARTICLES[issue.expected] ?? issue.expected}, found ${got}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${quoteAll(issue.values)}, found ${got}`
        : `expected one of ${quoteAll(issue.values)}, found ${got}${suggest(found, issue.values, hide)}`;
    case 'too_small':
      if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s), found ${got}`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s), found ${got}`;
      return `expected a value ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, found ${got}`;
    case 'too_big':
      if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s), found ${got}`;
      if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s), found ${got}`;
      return `expected a value ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, found ${got}`;
    case 'invalid_format':
      return issue.message.startsWith('expected')
        ? `${issue.message}, found ${got}`
        : `expected a valid ${issue.format}, found ${got}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator !== undefined && 'options' in issue && issue.options) {
        return `expected one of ${quoteAll(issue.options)}, found ${got}${suggest(found, issue.options, hide)}`;
      }
      // A union with its own message (e.g. secret references): the value is never echoed.
      return `${issue.message}; found ${describeFound(found, true)}`;
    default:
      return `${issue.message}${found === undefined ? '' : `, found ${got}`}`;
  }
}

/**
 * `schema` is the schema the input was validated with: it lets unknown-key problems list the allowed keys.
 */
export function describeIssues(issues: readonly Issue[], input: unknown, schema?: z.ZodType): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (zodPath: readonly PathSegment[], message: string) => {
    const path = writtenPath(input, zodPath);
    problems.push({ path, field: fieldPathText(path), message });
  };
  for (const issue of issues) {
    const zodPath = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? allowedKeysAt(schema, input, zodPath) : undefined;
      for (const key of issue.keys) {
        const suggestion = allowed ? closest(key, allowed) : undefined;
        const hint = suggestion
          ? `; did you mean "${suggestion}"?`
          : allowed
            ? `; expected one of ${allowed.join(', ')}`
            : '';
        add([...zodPath, key], `unknown key "${key}"${hint}`);
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
      const inner = bestBranch(issue);
      if (inner) {
        problems.push(...describeIssues(inner, input, schema));
        continue;
      }
    }
    const hide = zodPath.some((s) => typeof s === 'string' && isSensitiveKey(s));
    add(zodPath, messageFor(issue, valueAt(input, zodPath), hide));
  }
  return problems;
}
