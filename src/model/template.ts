/**
 * Object template (and role focus) mappings: user properties -> a user property.
 *
 * Mappings run in order, each seeing the user as the previous ones left it. A weak mapping sets
 * only an empty target; on a multi-valued target such as `assignment` that means it adds its value
 * only when the user has no assignment at all (midPoint's semantics: weak = "default when empty").
 * Assignment values (`{ assignment: { accountConstruction: { resourceRef } } }`) are normalised to
 * the Assignment type with defaults kind 'account', intent 'default', attribute [].
 */
import type { ObjectTemplateConfig, TemplateMapping } from '../schema/config';
import type { ItemDelta, UserDoc } from '../schema/objects';
import { applyUserDeltas, diffUserProperties } from './deltas';
import { ExpressionError, type ExpressionContext } from './expressions';
import { changeKey, compileMappingCached, evaluateMapping, userChangeKeys } from './mappings';
import { getUserValues, parsePath } from './paths';
import { targetValuesFor, userTargetDelta } from './user-targets';

export interface OriginMapping {
  mapping: TemplateMapping;
  /** Where it comes from, for error messages: `template Default User Template`, `role Pirate`. */
  origin: string;
}

export interface TemplateInput {
  user: UserDoc;
  template?: ObjectTemplateConfig;
  /** Further mappings run after the template's (role focus mappings). */
  extraMappings?: OriginMapping[];
  /** User paths this change modified; undefined = unknown (normal mappings apply). */
  changedUserPaths?: string[];
}

export interface TemplateResult {
  user: UserDoc;
  deltas: ItemDelta[];
  /** Keys of the user properties the mappings changed. */
  changedKeys: string[];
}

export function templateMappings(template: ObjectTemplateConfig | undefined): OriginMapping[] {
  return (template?.mapping ?? []).map((mapping) => ({ mapping, origin: `object template ${template!.name}` }));
}

export function applyTemplate(input: TemplateInput): TemplateResult {
  const mappings = [...templateMappings(input.template), ...(input.extraMappings ?? [])];
  const changed = input.changedUserPaths === undefined ? undefined : userChangeKeys(input.changedUserPaths);
  let user = input.user;
  const touched: string[] = [];

  for (const { mapping: spec, origin } of mappings) {
    const context: ExpressionContext = { role: `mapping of ${origin}` };
    const mapping = compileMappingCached(spec, { context, defaultSourceRoot: 'user' });
    const target = parsePath(spec.target.path, 'user');
    if (target.root !== 'user') {
      throw new ExpressionError(mapping.context, undefined, `target '${spec.target.path}' is not a user property`);
    }
    const key = target.segments.join('/');
    const current = getUserValues(user, target.segments);
    const output = evaluateMapping(mapping, { vars: { user }, changed, targetValues: current });
    const delta = userTargetDelta(key, current, [
      {
        ...output,
        values: targetValuesFor(key, output.values, mapping.context),
        retract: targetValuesFor(key, output.retract, mapping.context),
      },
    ]);
    if (!delta) continue;
    user = applyUserDeltas(user, [delta]);
    if (!touched.includes(key)) touched.push(key);
    // Later mappings whose sources this one changed see it as a change.
    changed?.add(changeKey(target));
  }

  return { user, deltas: diffUserProperties(input.user, user, touched), changedKeys: touched };
}
