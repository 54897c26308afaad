/**
 * Expressions (`path` | `value` | `script`) compiled once into evaluators that always return a
 * list of values (an empty list means "no value").
 *
 * Scripts are jexl expressions. A script sees:
 * - each declared source by the last segment of its path (`$user/fullName` -> `fullName`,
 *   `$account/attributes/ri:cn` -> `cn`): one value as the value itself, several as a list;
 * - `user` (alias `focus`, without credentials), `account`, `shadow`, `iteration`, `iterationToken`
 *   and `null`;
 * - transforms `lower`, `upper`, `trim`, `join(sep)`, `split(sep)`, `substring(start, end)`, `default(v)`,
 *   `fileTime` (a date and time as a Windows file time, as Active Directory's accountExpires holds it).
 * If any declared source has no value, the script yields no value (it is not evaluated): this keeps
 * `givenName + ' ' + familyName` from producing `"Jack undefined"`.
 *
 * Sandbox: jexl has no assignment, loops or calls other than registered functions; on top of that
 * the compiled tree is checked: only known variables, only the transforms below, no
 * prototype-reaching property names, bounded code length and tree size. Results must be plain data
 * (strings, numbers, booleans, lists, plain objects) and are bounded in count and size. Without
 * loops, evaluation time is linear in the code size times the size of the data it walks, which is
 * how the time is bounded (no clock is read: this code also runs inside Temporal workflows).
 */
import { Jexl } from 'jexl';
import type { Expression } from '../schema/config';
import { asList, getPathValues, parsePath, variableName, type PathRoots, type ItemPath } from './paths';

export const EXPRESSION_LIMITS = {
  maxCodeLength: 4096,
  maxTreeNodes: 1000,
  maxResultValues: 1000,
  /** Total characters of all result strings (and keys) together. */
  maxResultSize: 1_000_000,
} as const;

/** Where an expression sits, for error messages. */
export interface ExpressionContext {
  resource?: string;
  objectType?: string;
  attribute?: string;
  mapping?: string;
  /** e.g. 'outbound mapping', 'correlation', 'template mapping'. */
  role?: string;
}

export function describeContext(context: ExpressionContext | undefined): string {
  if (!context) return 'expression';
  const parts: string[] = [];
  if (context.role) parts.push(context.role);
  if (context.mapping) parts.push(`'${context.mapping}'`);
  if (context.attribute) parts.push(`of attribute ${context.attribute}`);
  if (context.objectType) parts.push(`in object type ${context.objectType}`);
  if (context.resource) parts.push(`on resource ${context.resource}`);
  return parts.length > 0 ? parts.join(' ') : 'expression';
}

export class ExpressionError extends Error {
  readonly context: ExpressionContext | undefined;
  readonly code: string | undefined;
  constructor(context: ExpressionContext | undefined, code: string | undefined, problem: string) {
    const shownCode = code === undefined ? '' : ` (code: ${code.length > 200 ? `${code.slice(0, 200)}...` : code})`;
    super(`${describeContext(context)}: ${problem}${shownCode}`);
    this.name = 'ExpressionError';
    this.context = context;
    this.code = code;
  }
}

export interface ExpressionVariables extends PathRoots {
  /** Values of the declared sources, by variable name. */
  sources?: Record<string, unknown[]>;
  iteration?: number;
  iterationToken?: string;
}

export type Evaluator = (vars: ExpressionVariables) => unknown[];

export interface CompileOptions {
  context?: ExpressionContext;
  /** Variable names of the declared sources, in order. Without an expression, the first source is passed as is. */
  sources?: string[];
}

// jexl has no null literal: `null` is a variable holding null.
const BUILT_IN_VARIABLES = ['user', 'focus', 'account', 'shadow', 'iteration', 'iterationToken', 'null'] as const;

const FORBIDDEN_PROPERTIES = new Set([
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The transforms scripts may use (`name|lower`). All pure and bounded by their input. */
const TRANSFORMS: Record<string, (value: unknown, ...args: unknown[]) => unknown> = {
  lower: (v) => str(v).toLowerCase(),
  upper: (v) => str(v).toUpperCase(),
  trim: (v) => str(v).trim(),
  join: (v, sep) => asList(v).map(str).join(sep === undefined ? ',' : str(sep)),
  split: (v, sep) => str(v).split(sep === undefined ? ',' : str(sep)),
  substring: (v, start, end) => str(v).substring(Number(start ?? 0), end === undefined ? undefined : Number(end)),
  default: (v, fallback) => (v === undefined || v === null || v === '' ? fallback : v),
  fileTime: (v) => fileTime(str(v)),
};

/** 1601-01-01, where Windows file times (Active Directory's accountExpires, lastLogon ...) start, in ms before 1970. */
const FILE_TIME_EPOCH_MS = 11_644_473_600_000n;

/** A date and time as a Windows file time: 100 ns intervals since 1601-01-01 UTC, in decimal; null (no value) for no date. */
function fileTime(dateTime: string): string | null {
  const ms = Date.parse(dateTime);
  return Number.isNaN(ms) ? null : String((BigInt(ms) + FILE_TIME_EPOCH_MS) * 10_000n);
}

const jexl = new Jexl();
jexl.addTransforms(TRANSFORMS);

type JexlExpression = ReturnType<InstanceType<typeof Jexl>['compile']>;
type AstNode = { type: string; [key: string]: unknown };

function checkTree(root: unknown, allowedVariables: Set<string>, fail: (problem: string) => never): void {
  let nodes = 0;
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as AstNode;
    if (typeof n.type !== 'string') {
      // ObjectLiteral values: a map of key -> node.
      Object.values(n).forEach(visit);
      return;
    }
    nodes += 1;
    if (nodes > EXPRESSION_LIMITS.maxTreeNodes) fail(`script is too complex (more than ${EXPRESSION_LIMITS.maxTreeNodes} elements)`);
    switch (n.type) {
      case 'Identifier': {
        const name = String(n.value);
        if (FORBIDDEN_PROPERTIES.has(name)) fail(`'${name}' may not be used in scripts`);
        if (n.from === undefined && n.relative !== true && !allowedVariables.has(name)) {
          fail(`unknown variable '${name}' (available: ${[...allowedVariables].join(', ')})`);
        }
        visit(n.from);
        return;
      }
      case 'FunctionCall': {
        const name = String(n.name);
        if (n.pool !== 'transforms' || !Object.prototype.hasOwnProperty.call(TRANSFORMS, name)) {
          fail(`function '${name}' is not available in scripts (transforms: ${Object.keys(TRANSFORMS).join(', ')})`);
        }
        visit(n.args);
        return;
      }
      case 'FilterExpression': {
        const expr = n.expr as AstNode | undefined;
        if (expr?.type === 'Literal' && typeof expr.value === 'string' && FORBIDDEN_PROPERTIES.has(expr.value)) {
          fail(`'${expr.value}' may not be used in scripts`);
        }
        visit(n.subject);
        visit(n.expr);
        return;
      }
      default:
        for (const [key, value] of Object.entries(n)) if (key !== 'type') visit(value);
    }
  };
  visit(root);
}

/** Copies a script result into plain data, refusing functions, foreign objects and oversized results. */
function toPlainData(value: unknown, fail: (problem: string) => never): unknown {
  let budget: number = EXPRESSION_LIMITS.maxResultSize;
  const spend = (n: number) => {
    budget -= n;
    if (budget < 0) fail(`script result is larger than ${EXPRESSION_LIMITS.maxResultSize} characters`);
  };
  const copy = (v: unknown, depth: number): unknown => {
    if (depth > 32) fail('script result is nested too deeply');
    if (v === null || v === undefined) return v;
    switch (typeof v) {
      case 'string':
        spend(v.length);
        return v;
      case 'number':
        if (!Number.isFinite(v)) fail('script result is not a finite number');
        spend(8);
        return v;
      case 'boolean':
        spend(1);
        return v;
      case 'object': {
        if (Array.isArray(v)) {
          if (v === Array.prototype) fail('script result is not plain data');
          spend(v.length);
          return v.map((item) => copy(item, depth + 1));
        }
        const proto = Object.getPrototypeOf(v);
        const plain =
          (proto === Object.prototype || proto === null) &&
          v !== Object.prototype &&
          Object.prototype.toString.call(v) === '[object Object]';
        if (!plain) fail('script result is not plain data');
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
          spend(k.length);
          out[k] = copy(item, depth + 1);
        }
        return out;
      }
      default:
        return fail(`script result of type ${typeof v} is not allowed`);
    }
  };
  return copy(value, 0);
}

function resultToList(result: unknown): unknown[] {
  const list = asList(result).filter((v) => v !== undefined && v !== null);
  return list;
}

function withoutCredentials(user: PathRoots['user']): unknown {
  if (!user || user.credentials === undefined) return user ?? undefined;
  const { credentials: _omitted, ...rest } = user;
  return rest;
}

const compiledScripts = new Map<string, JexlExpression>();
const MAX_CACHED_SCRIPTS = 10_000;

function compileScript(code: string, fail: (problem: string) => never): JexlExpression {
  const cached = compiledScripts.get(code);
  if (cached) return cached;
  let compiled: JexlExpression;
  try {
    compiled = jexl.compile(code);
  } catch (e) {
    return fail(`script does not parse: ${(e as Error).message}`);
  }
  if (compiledScripts.size >= MAX_CACHED_SCRIPTS) compiledScripts.clear();
  compiledScripts.set(code, compiled);
  return compiled;
}

function compileScriptEvaluator(code: string, options: CompileOptions, includeNullInputs = false): Evaluator {
  const context = options.context;
  const fail = (problem: string): never => {
    throw new ExpressionError(context, code, problem);
  };
  if (code.length > EXPRESSION_LIMITS.maxCodeLength) fail(`script is longer than ${EXPRESSION_LIMITS.maxCodeLength} characters`);
  const compiled = compileScript(code, fail);
  const sourceNames = options.sources ?? [];
  checkTree(compiled._getAst(), new Set<string>([...sourceNames, ...BUILT_IN_VARIABLES]), fail);

  return (vars) => {
    const scope: Record<string, unknown> = Object.create(null);
    for (const name of sourceNames) {
      const values = vars.sources?.[name] ?? [];
      if (values.length === 0 && !includeNullInputs) return [];
      scope[name] = values.length === 0 ? null : values.length === 1 ? values[0] : values;
    }
    const user = withoutCredentials(vars.user);
    scope.user = user;
    scope.focus = user;
    scope.account = vars.account ?? undefined;
    scope.shadow = vars.shadow ?? undefined;
    scope.iteration = vars.iteration ?? 0;
    scope.iterationToken = vars.iterationToken ?? '';
    scope.null = null;
    let result: unknown;
    try {
      result = compiled.evalSync(scope);
    } catch (e) {
      return fail(`script failed: ${(e as Error).message}`);
    }
    const list = resultToList(toPlainData(result, fail));
    if (list.length > EXPRESSION_LIMITS.maxResultValues) fail(`script returned more than ${EXPRESSION_LIMITS.maxResultValues} values`);
    return list;
  };
}

function compilePathEvaluator(path: string, options: CompileOptions): Evaluator {
  const sourceNames = options.sources ?? [];
  // A bare name that is a declared source refers to that source's values.
  if (!path.includes('/') && !path.includes(':') && sourceNames.includes(path)) {
    return (vars) => vars.sources?.[path] ?? [];
  }
  let parsed: ItemPath;
  try {
    parsed = parsePath(path, 'user');
  } catch (e) {
    throw new ExpressionError(options.context, path, (e as Error).message);
  }
  return (vars) => getPathValues(parsed, vars);
}

/**
 * Compiles an expression once. Without an expression the first declared source is passed as is
 * ("as-is" mappings such as `outbound: { source: $user/fullName }`).
 */
export function compileExpression(expression: Expression | undefined, options: CompileOptions = {}): Evaluator {
  if (expression === undefined) {
    const first = options.sources?.[0];
    if (first === undefined) {
      throw new ExpressionError(options.context, undefined, 'a mapping without an expression needs a source');
    }
    return (vars) => vars.sources?.[first] ?? [];
  }
  if (expression.script !== undefined) return compileScriptEvaluator(expression.script.code, options, expression.script.includeNullInputs);
  if (expression.path !== undefined) return compilePathEvaluator(expression.path, options);
  const literal = resultToList(expression.value);
  return () => literal;
}

/** A condition holds when it yields at least one value and all its values are truthy. */
export function isTrue(values: unknown[]): boolean {
  return values.length > 0 && values.every(Boolean);
}

/** Variable names of source paths, checking that two sources don't share one. */
export function sourceVariableNames(paths: Array<{ path: string; name?: string }>, context?: ExpressionContext): string[] {
  const names = paths.map((s) => s.name ?? variableName(s.path));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new ExpressionError(context, undefined, `two sources are both named '${name}'; give one of them a name`);
    }
    seen.add(name);
  }
  return names;
}
