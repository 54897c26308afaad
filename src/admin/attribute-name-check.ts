/**
 * `tally apply`'s check of the attribute names each applied resource refers to, and those the applied
 * roles' and users' constructions write, against the schema of the object type they belong to: the one
 * the resource declares or, without one, the schema read from the resource, once per resource per apply.
 * A resource that can't be read doesn't block the apply: its names are reported as not checked.
 */
import { attributeNameProblems, constructionNameProblems, declaredObjectTypeSchemas, type ObjectTypeSchema } from '../config/attribute-names';
import type { ConfigProblem } from '../config/config-error';
import type { LoadedObject } from '../config/load-config';
import { constructionsOf } from '../model/constructions';
import { readObjectTypeSchemas } from '../provisioning';
import type { ResourceConfig } from '../schema/config';
import type { ConstructionTargets } from './construction-targets';

export interface AttributeNameCheck {
  problems: ConfigProblem[];
  /** One sentence per resource whose names were not checked, and why. */
  unchecked: string[];
}

export async function checkAttributeNames(loaded: readonly LoadedObject[], targets: ConstructionTargets = new Map()): Promise<AttributeNameCheck> {
  const result: AttributeNameCheck = { problems: [], unchecked: [] };
  const schemas = new Map<string, Promise<ObjectTypeSchema[] | null>>();
  const read = async (resource: ResourceConfig): Promise<ObjectTypeSchema[] | null> => {
    if (resource.schema) return declaredObjectTypeSchemas(resource);
    const found = await readObjectTypeSchemas(resource);
    if (found.read) return found.objectTypes;
    result.unchecked.push(
      `resource "${resource.name}": attribute names were not checked: its schema could not be read (${found.reason}); declare it (schema.objectClass) to check them without the resource`,
    );
    return null;
  };
  const schemaOf = (resource: ResourceConfig & { oid: string }) => {
    if (!schemas.has(resource.oid)) schemas.set(resource.oid, read(resource));
    return schemas.get(resource.oid)!;
  };
  await Promise.all(
    loaded.map(async (entry) => {
      const object = entry.object;
      if (object.kind === 'Resource') {
        const objectTypes = await schemaOf(object);
        if (objectTypes) for (const p of attributeNameProblems(object, objectTypes)) result.problems.push(entry.problemAt(p.path, p.message));
        return;
      }
      for (const { construction, path } of constructionsOf(object)) {
        const target = targets.get(construction.resourceRef);
        if (!target) continue;
        for (const p of constructionNameProblems(construction, path, target, await schemaOf(target))) result.problems.push(entry.problemAt(p.path, p.message));
      }
    }),
  );
  return result;
}
