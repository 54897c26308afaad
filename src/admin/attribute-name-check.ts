/**
 * `tally apply`'s check of the attribute names each applied resource refers to, against the schema it
 * declares or, without one, the schema read from the resource. A resource that can't be read doesn't
 * block the apply: its names are reported as not checked.
 */
import { attributeNameProblems, declaredObjectTypeSchemas } from '../config/attribute-names';
import type { ConfigProblem } from '../config/config-error';
import type { LoadedObject } from '../config/load-config';
import { readObjectTypeSchemas } from '../provisioning';

export interface AttributeNameCheck {
  problems: ConfigProblem[];
  /** One sentence per resource whose names were not checked, and why. */
  unchecked: string[];
}

export async function checkAttributeNames(loaded: readonly LoadedObject[]): Promise<AttributeNameCheck> {
  const result: AttributeNameCheck = { problems: [], unchecked: [] };
  await Promise.all(
    loaded.map(async (entry) => {
      const resource = entry.object;
      if (resource.kind !== 'Resource') return;
      const read = resource.schema ? { read: true as const, objectTypes: declaredObjectTypeSchemas(resource) } : await readObjectTypeSchemas(resource);
      if (!read.read) {
        result.unchecked.push(
          `resource "${resource.name}": attribute names were not checked: its schema could not be read (${read.reason}); declare it (schema.objectClass) to check them without the resource`,
        );
        return;
      }
      for (const p of attributeNameProblems(resource, read.objectTypes)) result.problems.push(entry.problemAt(p.path, p.message));
    }),
  );
  return result;
}
