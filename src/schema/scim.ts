/**
 * SCIM 2.0 (RFC 7643/7644) as Tally's SCIM service provider speaks it: the schema URNs, the resources it
 * keeps, the filters it answers and the PATCH body it takes.
 */
import { z } from 'zod';

export const SCIM_SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const scimResourceTypes = ['User', 'Group'] as const;
export type ScimResourceType = (typeof scimResourceTypes)[number];

/** A SCIM resource as JSON: `id`, `schemas`, its attributes; `meta` is made from the stored object. */
export type ScimJson = Record<string, unknown>;

/** A User or Group as Tally keeps it for the resource services push it to. */
export interface StoredScimObject {
  /** The SCIM `id`, which Tally assigns: the account's primary identifier. */
  id: string;
  resourceOid: string;
  type: ScimResourceType;
  /** The resource as last written, without `meta`. */
  resource: ScimJson;
  /** Counts the writes; `W/"<version>"` is the ETag. */
  version: number;
  created: string;
  lastModified: string;
  /** Deleted over SCIM: kept a while so a DELETE sent again is answered as the first. */
  deleted?: boolean;
}

/** A filter (RFC 7644 3.4.2.2), parsed: comparisons on an attribute path, `and`, `or`, `not`. */
export type ScimFilter =
  | { op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'; path: string; value: string | number | boolean | null }
  | { op: 'pr'; path: string }
  | { op: 'and' | 'or'; filters: ScimFilter[] }
  | { op: 'not'; filter: ScimFilter };

/** `PATCH` (RFC 7644 3.5.2): `op` in any letter case. */
export const scimPatchSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCIM_SCHEMAS.patchOp), { message: `expected schemas to hold ${SCIM_SCHEMAS.patchOp}` }),
  Operations: z
    .array(
      z.object({
        op: z.string().transform((op) => op.toLowerCase()).pipe(z.enum(['add', 'replace', 'remove'], { error: 'expected add, replace or remove' })),
        path: z.string().min(1).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1),
});
export type ScimPatch = z.output<typeof scimPatchSchema>;
