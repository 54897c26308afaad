/**
 * Outbound: the desired attribute values of one account from the object type's outbound mappings
 * and the constructions' attribute mappings (evaluated together; several mappings of one
 * attribute are merged: multi-valued attributes get the union, single-valued ones the value of
 * the strongest applying mapping, the first of equal strength), and the delta against the
 * account as it is.
 *
 * - `icfs:name` gives the secondary identifier (a name for an add, a rename otherwise; names are
 *   compared under icfs:name's matching rule, by default as distinguished names); `icfs:uid` is never written.
 * - Values are compared under each attribute's `matchingRule`.
 * - Attributes whose `access` lacks `create` (for an add) or `update` (otherwise) get no values.
 * - `weak` applies when the attribute is empty (always on add); when the current state is unknown
 *   (not read, not cached) weak mappings do not apply and the others give a replace.
 * - `strong` always applies: a current value that differs (a foreign edit) is reverted.
 * - `tolerant: false`: current values no mapping produces are removed.
 * - A construction of an assignment this change added is new: its normal mappings apply, as if their
 *   sources changed (midPoint: the assignment's constructions are in the plus set).
 * - Constructions of assignments this change removed (the minus set) take back what they gave: their
 *   mappings' values are removed from the account, tolerant attributes included, unless a remaining
 *   mapping produces them too; other values (set by others on the resource) stay.
 */
import type { AccountConstruction, AttributeDefinition, ObjectTypeDefinition, OutboundMapping, ResourceConfig } from '../schema/config';
import type { AttributeDelta, AttributeValue, Attributes, EffectiveStatus, ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { appendActivationOutbound, forceAccountStatus } from './activation';
import { associationAttributeDefinitions, associationConstructionAttributes } from './associations';
import { appendCredentialsOutbound } from './credentials';
import { uniqueValues } from './deltas';
import { includesMatching, matchingRuleOf, valuesMatch } from './matching-rules';
import { ExpressionError, type ExpressionContext } from './expressions';
import { applyIterationToken } from './iteration';
import { compileMappingCached, evaluateMapping, strongerFirst, type CompiledMapping, type MappingInput, type MappingOutput } from './mappings';
import { attributeName, getAttributeValues, PRIMARY_IDENTIFIER, SECONDARY_IDENTIFIER } from './paths';
import { objectTypeLabel } from './resources';

export interface AttributeMappings {
  definition: AttributeDefinition;
  mappings: OutboundMapping[];
  /** Where a construction's mapping came from (`induced by role Pirate`); resource mappings have none. */
  origins: Map<OutboundMapping, string>;
  /** Mappings of constructions whose assignment this change added (normal ones apply). */
  added: Set<OutboundMapping>;
  /** Mappings of constructions whose assignment this change removed: what they give is taken back. */
  removed: OutboundMapping[];
}

/** `added`: the construction's assignment was added by this change; `removed`: removed by it. */
export type OriginatedConstruction = AccountConstruction & { origin?: string; added?: boolean; removed?: boolean };

/** Definitions and outbound mappings per attribute (normalised name), constructions' mappings added. */
export function collectAttributeMappings(objectType: ObjectTypeDefinition, constructions: readonly OriginatedConstruction[]): Map<string, AttributeMappings> {
  const byName = new Map<string, AttributeMappings>();
  const keyOf = (ref: string) => attributeName(ref).toLowerCase();
  for (const definition of [...objectType.attribute, ...associationAttributeDefinitions(objectType)]) {
    byName.set(keyOf(definition.ref), { definition, mappings: [...definition.outbound], origins: new Map(), added: new Set(), removed: [] });
  }
  for (const construction of constructions) {
    for (const attribute of [...construction.attribute, ...associationConstructionAttributes(construction)]) {
      const key = keyOf(attribute.ref);
      const entry: AttributeMappings = byName.get(key) ?? {
        definition: { ref: attribute.ref, multiValued: false, tolerant: true, outbound: [], inbound: [] },
        mappings: [],
        origins: new Map(),
        added: new Set(),
        removed: [],
      };
      if (construction.removed) entry.removed.push(...attribute.outbound);
      else entry.mappings.push(...attribute.outbound);
      if (construction.added) for (const m of attribute.outbound) entry.added.add(m);
      if (construction.origin) for (const m of attribute.outbound) entry.origins.set(m, construction.origin);
      byName.set(key, entry);
    }
  }
  return byName;
}

export interface OutboundInput {
  resource: ResourceConfig;
  objectType: ObjectTypeDefinition;
  constructions: readonly OriginatedConstruction[];
  user: UserDoc;
  mode: 'add' | 'existing';
  /** User change keys (see mappings.changeKey) for normal mappings; undefined = unknown. */
  changed: ReadonlySet<string> | undefined;
  shadow?: ShadowDoc;
  /** The account as read now; null = not read (the shadow's cached attributes stand in). */
  current?: ResourceObject | null;
  iteration?: number;
  iterationToken?: string;
  /**
   * existing: the status the account must have whatever the status mapping's strength (an account
   * disabled instead of deleted, or one given back to its owner).
   */
  forceStatus?: EffectiveStatus;
}

export interface OutboundResult {
  /** add: the full desired attribute set (identifiers excluded). */
  attributes: Attributes;
  /** existing: deltas against the current state. */
  deltas: AttributeDelta[];
  /** add: the name; existing: a new name (rename) or undefined. */
  secondaryIdentifier?: string;
}

function toAttributeValues(values: unknown[], context: ExpressionContext): AttributeValue[] {
  return values.map((v) => {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
    throw new ExpressionError(context, undefined, `produced a value of type ${Array.isArray(v) ? 'list' : typeof v}; attribute values are strings, numbers or booleans`);
  });
}

interface CurrentState {
  object: ResourceObject | null;
  /** Whether the values of an attribute are known. */
  known: (attribute: string) => boolean;
  values: (attribute: string) => AttributeValue[];
}

function currentState(input: OutboundInput): CurrentState {
  if (input.mode === 'add') return { object: null, known: () => true, values: () => [] };
  if (input.current) {
    const object = input.current;
    return { object, known: () => true, values: (a) => getAttributeValues(object, a) as AttributeValue[] };
  }
  const shadow = input.shadow;
  const cached = shadow?.attributes;
  const object: ResourceObject | null = shadow
    ? {
        primaryIdentifier: shadow.primaryIdentifier ?? '',
        secondaryIdentifier: shadow.secondaryIdentifier ?? '',
        objectClass: shadow.objectClass,
        attributes: cached ?? {},
      }
    : null;
  const inCache = (a: string) => cached !== undefined && getAttributeValues({ attributes: cached }, a).length > 0;
  return {
    object,
    known: (a) => (a === SECONDARY_IDENTIFIER ? true : inCache(a)),
    values: (a) =>
      a === SECONDARY_IDENTIFIER
        ? shadow?.secondaryIdentifier
          ? [shadow.secondaryIdentifier]
          : []
        : cached
          ? (getAttributeValues({ attributes: cached }, a) as AttributeValue[])
          : [],
  };
}

interface AttributeOutput extends Omit<MappingOutput, 'values' | 'retract'> {
  values: AttributeValue[];
  retract: AttributeValue[];
  mapping: OutboundMapping;
}

const usesIterationToken = (mapping: OutboundMapping) => mapping.expression?.script?.code.includes('iterationToken') ?? false;

/** What the mappings of removed constructions give now (the minus set); a false condition gives nothing. */
function minusValues(removed: readonly OutboundMapping[], compiled: (spec: OutboundMapping) => CompiledMapping, vars: MappingInput['vars']): AttributeValue[] {
  const values: AttributeValue[] = [];
  for (const spec of removed) {
    const mapping = compiled(spec);
    const output = evaluateMapping(mapping, { vars, changed: undefined, targetValues: undefined });
    values.push(...toAttributeValues(output.values, mapping.context));
  }
  return uniqueValues(values);
}

export function computeOutbound(input: OutboundInput): OutboundResult {
  const { resource, objectType, user, mode } = input;
  const state = currentState(input);
  const iteration = input.iteration ?? input.shadow?.iteration ?? 0;
  const iterationToken = input.iterationToken ?? input.shadow?.iterationToken ?? '';
  const vars = { user, account: state.object, shadow: input.shadow ?? null, iteration, iterationToken };
  const attributes: Attributes = {};
  const deltas: AttributeDelta[] = [];
  let secondaryIdentifier: string | undefined;

  for (const { definition, mappings, origins, added, removed } of collectAttributeMappings(objectType, input.constructions).values()) {
    const name = attributeName(definition.ref);
    if (name === PRIMARY_IDENTIFIER || (mappings.length === 0 && removed.length === 0)) continue;
    const access = definition.access;
    if (access !== undefined && !access.includes(mode === 'add' ? 'create' : 'update')) continue;

    const context: ExpressionContext = { role: 'outbound mapping', attribute: definition.ref, objectType: objectTypeLabel(objectType), resource: resource.name };
    const known = state.known(name);
    const current = state.values(name);
    const compiled = (spec: OutboundMapping) => {
      const origin = origins.get(spec);
      return compileMappingCached(spec, { context: origin ? { ...context, role: `outbound mapping ${origin}` } : context, defaultSourceRoot: 'user' });
    };
    // Values are compared under the attribute's matching rule: `JACK` on the resource is `jack` under stringIgnoreCase.
    const includesValue = (list: readonly AttributeValue[], value: AttributeValue) => includesMatching(definition.matchingRule, list, value);
    const outputs: AttributeOutput[] = [];
    for (const spec of mappings) {
      const mapping = compiled(spec);
      const output = evaluateMapping(mapping, {
        vars,
        changed: mode === 'add' || added.has(spec) ? undefined : input.changed,
        targetValues: known ? current : undefined,
      });
      outputs.push({
        ...output,
        values: toAttributeValues(output.values, mapping.context),
        retract: toAttributeValues(output.retract, mapping.context),
        mapping: spec,
      });
    }
    const applying = outputs.filter((o) => o.applies).sort(strongerFirst);
    const winner = applying.find((o) => o.values.length > 0 || o.strength !== 'weak');
    const retract = outputs.flatMap((o) => o.retract);

    if (name === SECONDARY_IDENTIFIER) {
      const value = winner?.values[0];
      if (value === undefined) continue;
      const named = iteration > 0 && !usesIterationToken(winner!.mapping) ? applyIterationToken(String(value), iterationToken) : String(value);
      const have = current[0];
      if (mode === 'add' || have === undefined || !valuesMatch(matchingRuleOf(objectType, SECONDARY_IDENTIFIER), have, named)) secondaryIdentifier = named;
      continue;
    }

    if (mode === 'add') {
      const values = definition.multiValued ? uniqueValues(applying.flatMap((o) => o.values)) : (winner?.values.slice(0, 1) ?? []);
      if (values.length > 0) attributes[name] = values;
      continue;
    }

    const produced = outputs.flatMap((o) => o.values);
    const takenBack = minusValues(removed, compiled, vars).filter((v) => includesValue(current, v) && !includesValue(produced, v));
    if (definition.multiValued) {
      const add = uniqueValues(applying.flatMap((o) => o.values).filter((v) => !includesValue(current, v)));
      const undesired = !definition.tolerant && known && mappings.length > 0 ? current.filter((v) => !includesValue(produced, v)) : [];
      const del = uniqueValues([...retract.filter((v) => includesValue(current, v)), ...undesired, ...takenBack]).filter((v) => !includesValue(add, v));
      if (add.length > 0 || del.length > 0) deltas.push({ path: name, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) });
      continue;
    }

    let desired: AttributeValue[] | undefined;
    if (winner) desired = winner.values.slice(0, 1);
    else if (retract.length > 0 && current.some((v) => includesValue(retract, v))) desired = [];
    else if (!definition.tolerant && known && mappings.length > 0 && current.length > 0 && !current.some((v) => includesValue(produced, v))) desired = produced.slice(0, 1);
    else if (takenBack.length > 0) desired = [...outputs].sort(strongerFirst).find((o) => o.values.length > 0)?.values.slice(0, 1) ?? [];
    if (desired === undefined) continue;
    const same = known && current.length === desired.length && desired.every((v) => includesValue(current, v));
    if (!same) deltas.push({ path: name, replace: desired });
  }

  const currentStatus = (a: string) => ({ known: state.known(a), values: state.values(a) });
  appendActivationOutbound({ objectType, user, mode, changed: input.changed, current: currentStatus }, attributes, deltas);
  if (mode === 'existing' && input.forceStatus !== undefined) forceAccountStatus(objectType, input.forceStatus, currentStatus, deltas);
  appendCredentialsOutbound({ objectType, user, mode, changed: input.changed }, attributes, deltas);

  if (mode === 'add' && secondaryIdentifier === undefined) {
    throw new ExpressionError(
      { role: 'outbound mappings', objectType: objectTypeLabel(objectType), resource: resource.name },
      undefined,
      `no value for ${SECONDARY_IDENTIFIER}: the account cannot be named (add an outbound mapping for ${SECONDARY_IDENTIFIER})`,
    );
  }
  return { attributes, deltas, ...(secondaryIdentifier !== undefined ? { secondaryIdentifier } : {}) };
}
