/**
 * Inbound: the user property deltas the inbound mappings of an account's attributes produce.
 * The attribute is each inbound mapping's implicit first source (a script sees it by its name,
 * `cn` for `ri:cn`); without an expression its values are copied as they are.
 */
import type { MatchingRuleName, ObjectTypeDefinition } from '../schema/config';
import type { ItemDelta, ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { activationInbound } from './activation';
import { ExpressionError, type ExpressionContext } from './expressions';
import { attributeChangeKeys, compileMappingCached, evaluateMapping, type MappingOutput } from './mappings';
import { attributeName, getUserValues, parsePath } from './paths';
import { targetValuesFor, userTargetDelta } from './user-targets';

export interface InboundInput {
  objectType: ObjectTypeDefinition;
  account: ResourceObject;
  /** Null for a user being created from this account. */
  user: UserDoc | null;
  /** Attributes that changed (live sync); undefined = unknown, so normal mappings apply. */
  changedAttributes?: string[];
  /** For error messages. */
  resourceName?: string;
  shadow?: ShadowDoc | null;
}

export function computeInbound(input: InboundInput): ItemDelta[] {
  const { objectType, account, user } = input;
  const changed = input.changedAttributes === undefined ? undefined : attributeChangeKeys(input.changedAttributes);
  const outputsByTarget = new Map<string, MappingOutput[]>();
  // A value equal to the user's under the attribute's matching rule (`JACK` for `jack`) changes nothing.
  const ruleByTarget = new Map<string, MatchingRuleName | undefined>();

  for (const attribute of objectType.attribute) {
    if (attribute.inbound.length === 0) continue;
    const context: ExpressionContext = {
      role: 'inbound mapping',
      attribute: attribute.ref,
      objectType: objectType.name ?? `${objectType.kind}/${objectType.intent}`,
      resource: input.resourceName,
    };
    for (const spec of attribute.inbound) {
      const mapping = compileMappingCached(spec, {
        context,
        defaultSourceRoot: 'account',
        implicitSources: [{ path: `$account/attributes/${attributeName(attribute.ref)}` }],
      });
      const target = parsePath(spec.target.path, 'user');
      if (target.root !== 'user') {
        throw new ExpressionError(mapping.context, undefined, `inbound target '${spec.target.path}' is not a user property`);
      }
      const key = target.segments.join('/');
      const output = evaluateMapping(mapping, {
        vars: { user, account, shadow: input.shadow ?? null },
        changed,
        targetValues: getUserValues(user, target.segments),
      });
      const list = outputsByTarget.get(key) ?? [];
      list.push({
        ...output,
        values: targetValuesFor(key, output.values, mapping.context),
        retract: targetValuesFor(key, output.retract, mapping.context),
      });
      outputsByTarget.set(key, list);
      if (!ruleByTarget.has(key)) ruleByTarget.set(key, attribute.matchingRule);
    }
  }

  const deltas: ItemDelta[] = [];
  for (const [key, outputs] of outputsByTarget) {
    const delta = userTargetDelta(key, getUserValues(user, key), outputs, ruleByTarget.get(key));
    if (delta) deltas.push(delta);
  }
  deltas.push(...activationInbound(objectType, account, user, input.changedAttributes));
  return deltas;
}
