/**
 * One mapping (sources -> expression -> target) with strength semantics:
 * - `weak` sets only an empty target (an unknown target state counts as not empty);
 * - `normal` applies when one of its sources changed; when what changed is unknown (a new object,
 *   reconciliation, import) it applies, so the last change wins;
 * - `strong` always applies, and is what reverts foreign edits.
 * An optional condition that is false makes the mapping contribute nothing; for a strong mapping,
 * the values it would produce are reported as `retract` so the caller can remove them.
 */
import type { Expression, Strength } from '../schema/config';
import {
  compileExpression,
  isTrue,
  sourceVariableNames,
  type Evaluator,
  type ExpressionContext,
  type ExpressionVariables,
} from './expressions';
import { getPathValues, parsePath, pathToString, type ItemPath, type PathRoots } from './paths';

export interface MappingSpec {
  name?: string;
  strength: Strength;
  source: Array<{ path: string; name?: string }>;
  expression?: Expression;
  condition?: Expression;
}

export interface CompiledSource {
  variable: string;
  path: ItemPath;
  /** Key for change detection, see changeKey(). */
  key: string;
}

export interface CompiledMapping {
  name?: string;
  strength: Strength;
  sources: CompiledSource[];
  evaluate: Evaluator;
  condition?: Evaluator;
  context: ExpressionContext;
}

/** `fullName`, `extension/x` for user paths; `@cn` (lower case) for resource attributes; `$shadow/...` otherwise. */
export function changeKey(path: ItemPath): string {
  switch (path.root) {
    case 'user':
      return path.segments.join('/');
    case 'account':
      return `@${path.attribute.toLowerCase()}`;
    case 'shadow':
      return pathToString(path);
  }
}

export function userChangeKeys(paths: readonly string[]): Set<string> {
  return new Set(paths.map((p) => changeKey(parsePath(p, 'user'))));
}

export function attributeChangeKeys(attributes: readonly string[]): Set<string> {
  return new Set(attributes.map((a) => changeKey(parsePath(a, 'account'))));
}

export interface CompileMappingOptions {
  context: ExpressionContext;
  /** Root of bare source paths: 'user' for outbound and template mappings. */
  defaultSourceRoot?: 'user' | 'account';
  /** Sources the mapping has without declaring them (inbound: the attribute itself), placed first. */
  implicitSources?: Array<{ path: string; name?: string }>;
}

const compiledCache = new WeakMap<object, CompiledMapping>();

export function compileMapping(spec: MappingSpec, options: CompileMappingOptions): CompiledMapping {
  const allSources = [...(options.implicitSources ?? []), ...spec.source];
  const context = spec.name ? { ...options.context, mapping: spec.name } : options.context;
  const variables = sourceVariableNames(allSources, context);
  const sources = allSources.map((s, i) => {
    const path = parsePath(s.path, options.defaultSourceRoot ?? 'user');
    return { variable: variables[i]!, path, key: changeKey(path) };
  });
  const evaluate = compileExpression(spec.expression, { context, sources: variables });
  const condition = spec.condition ? compileExpression(spec.condition, { context: { ...context, role: `condition of ${context.role ?? 'mapping'}` }, sources: variables }) : undefined;
  return { name: spec.name, strength: spec.strength, sources, evaluate, condition, context };
}

/**
 * compileMapping memoised on the configuration object (configuration objects are parsed once and
 * never changed), so recomputing many users compiles each mapping once.
 */
export function compileMappingCached(spec: MappingSpec, options: CompileMappingOptions): CompiledMapping {
  const cached = compiledCache.get(spec);
  if (cached) return cached;
  const compiled = compileMapping(spec, options);
  compiledCache.set(spec, compiled);
  return compiled;
}

export interface MappingInput {
  vars: PathRoots & Pick<ExpressionVariables, 'iteration' | 'iterationToken'>;
  /** Change keys of what changed (see changeKey); undefined = unknown. */
  changed: ReadonlySet<string> | undefined;
  /** Current values of the target; undefined = unknown. */
  targetValues: readonly unknown[] | undefined;
}

export interface MappingOutput {
  strength: Strength;
  /** Whether the mapping sets its target now (strength rules and condition). */
  applies: boolean;
  /** What the mapping produces (empty when its condition is false). */
  values: unknown[];
  conditionFalse: boolean;
  /** Strong mapping with a false condition: the values it would produce, to be removed from the target. */
  retract: unknown[];
}

function sourceChanged(sources: readonly CompiledSource[], changed: ReadonlySet<string>): boolean {
  for (const source of sources) {
    if (changed.has(source.key)) return true;
    if (source.path.root === 'user') {
      // A change of `activation` covers `activation/administrativeStatus` and the other way round.
      for (const key of changed) {
        if (key.startsWith(`${source.key}/`) || source.key.startsWith(`${key}/`)) return true;
      }
    }
  }
  return false;
}

export function sourceValues(mapping: CompiledMapping, vars: PathRoots): Record<string, unknown[]> {
  const values: Record<string, unknown[]> = {};
  for (const source of mapping.sources) values[source.variable] = getPathValues(source.path, vars);
  return values;
}

export function evaluateMapping(mapping: CompiledMapping, input: MappingInput): MappingOutput {
  const vars: ExpressionVariables = { ...input.vars, sources: sourceValues(mapping, input.vars) };
  const conditionFalse = mapping.condition !== undefined && !isTrue(mapping.condition(vars));
  if (conditionFalse) {
    const retract = mapping.strength === 'strong' ? mapping.evaluate(vars) : [];
    return { strength: mapping.strength, applies: false, values: [], conditionFalse, retract };
  }
  const values = mapping.evaluate(vars);
  let applies: boolean;
  switch (mapping.strength) {
    case 'strong':
      applies = true;
      break;
    case 'weak':
      applies = input.targetValues !== undefined && input.targetValues.length === 0;
      break;
    case 'normal':
      applies = input.changed === undefined || sourceChanged(mapping.sources, input.changed);
      break;
  }
  return { strength: mapping.strength, applies, values, conditionFalse, retract: [] };
}

const STRENGTH_ORDER: Record<Strength, number> = { weak: 0, normal: 1, strong: 2 };
export function strongerFirst(a: { strength: Strength }, b: { strength: Strength }): number {
  return STRENGTH_ORDER[b.strength] - STRENGTH_ORDER[a.strength];
}
