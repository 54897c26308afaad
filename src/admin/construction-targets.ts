/**
 * The resources the constructions of applied roles and users target, as this apply leaves them: the
 * resource in the same apply, else the stored one. Their connectors say what the identifiers' other
 * names (`ri:dn`, `ri:entryUUID`) mean in those constructions.
 */
import type { LoadedObject } from '../config/load-config';
import { constructionsOf, withConstructions } from '../model/constructions';
import { constructionWithIdentifierNames, identifierNames } from '../model/identifier-names';
import type { ResourceConfig } from '../schema/config';

export type ConstructionTargets = ReadonlyMap<string, ResourceConfig & { oid: string }>;

/** Each construction's `resourceRef` (oid or name) to its resource; a ref found nowhere is left out (the loader refused it). */
export async function constructionTargets(
  loaded: readonly LoadedObject[],
  storedResource: (ref: string) => Promise<(ResourceConfig & { oid: string }) | null>,
): Promise<ConstructionTargets> {
  const targets = new Map<string, ResourceConfig & { oid: string }>();
  for (const { object } of loaded) {
    if (object.kind !== 'Resource') continue;
    targets.set(object.oid, object);
    targets.set(object.name, object);
  }
  const refs = new Set(loaded.flatMap(({ object }) => constructionsOf(object).map((c) => c.construction.resourceRef)));
  const wanted = new Map<string, ResourceConfig & { oid: string }>();
  for (const ref of refs) {
    const target = targets.get(ref) ?? (await storedResource(ref));
    if (target) wanted.set(ref, target);
  }
  return wanted;
}

/** The applied objects with their constructions' identifier names resolved for the resources they target. */
export function withConstructionNames(loaded: readonly LoadedObject[], targets: ConstructionTargets): LoadedObject[] {
  return loaded.map((entry) => {
    if (constructionsOf(entry.object).length === 0) return entry;
    const object = withConstructions(entry.object, (construction) => {
      const target = targets.get(construction.resourceRef);
      return target ? constructionWithIdentifierNames(construction, identifierNames(target.connector)) : construction;
    });
    return { ...entry, object };
  });
}
