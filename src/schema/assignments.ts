/**
 * A user's assignments: a role, or an account construction (its attributes and entitlements) on a resource.
 * Built on first use (`z.lazy`): every workflow loads this module under its input schemas.
 */
import { z } from 'zod';
import { objectRefSchema, oneOrMany } from './config-basics';
import { outboundMappingSchema } from './mappings';

export const constructionAttributeSchema = z.lazy(() =>
  z
    .object({ ref: z.string().min(1), outbound: oneOrMany(outboundMappingSchema).default([]) })
    .strict(),
);

/**
 * The entitlements a construction gives (midPoint's construction `association`): `targets` are the
 * entitlements' names (an LDAP group's DN), a strong fixed value; or `outbound` mappings that produce
 * them. Either way reconciliation puts back a membership that a strong mapping asks for.
 */
export const constructionAssociationSchema = z.lazy(() =>
  z
    .object({
      ref: z.string().min(1),
      targets: oneOrMany(z.string().min(1, 'expected the entitlement\'s name (an LDAP group DN)')).optional(),
      outbound: oneOrMany(outboundMappingSchema).optional(),
      /**
       * midPoint's `associationFromLink`: the target is the entitlement the inducing role itself is projected
       * to (the role's own group, linked to the role), of the association's entitlement type.
       */
      associationFromLink: z.object({}).strict().optional(),
    })
    .strict()
    .refine((a) => [a.targets, a.outbound, a.associationFromLink].filter((x) => x !== undefined).length === 1, {
      message: 'an association needs exactly one of targets (the entitlements\' names), outbound or associationFromLink: {} (the role\'s own group)',
    }),
);
export type ConstructionAssociation = z.infer<typeof constructionAssociationSchema>;

export const accountConstructionSchema = z.lazy(() =>
  z
    .object({
      resourceRef: objectRefSchema,
      kind: z.enum(['account', 'entitlement', 'generic']).default('account'),
      intent: z.string().default('default'),
      attribute: oneOrMany(constructionAttributeSchema).default([]),
      association: oneOrMany(constructionAssociationSchema).optional(),
    })
    .strict(),
);
export type AccountConstruction = z.infer<typeof accountConstructionSchema>;

/** A user's assignment: a role (`targetRef`) or a direct account construction. */
export const assignmentSchema = z.lazy(() =>
  z
    .object({
      targetRef: objectRefSchema.optional(),
      accountConstruction: accountConstructionSchema.optional(),
      /** Seeds' later name for accountConstruction. */
      construction: accountConstructionSchema.optional(),
    })
    .strict()
    .refine((a) => [a.targetRef, a.accountConstruction, a.construction].filter(Boolean).length === 1, {
      message: 'an assignment needs exactly one of targetRef (a role) or accountConstruction',
    })
    .transform((a) =>
      a.targetRef !== undefined
        ? { targetRef: a.targetRef }
        : { accountConstruction: (a.accountConstruction ?? a.construction)! },
    ),
);
export type Assignment = z.infer<typeof assignmentSchema>;
