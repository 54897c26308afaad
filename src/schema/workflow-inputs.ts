/** Workflow inputs: each workflow takes ONE JSON object (the Temporal UI passes exactly one argument). */
import { z } from 'zod';
import { assignmentSchema, channelSchema } from './config';
import { resourceChangeSchema } from './objects';

export const provisionUserInputSchema = z
  .object({
    userOid: z.string().min(1),
    channel: channelSchema.default('user'),
    /** User paths this change touched (for normal-strength mappings); absent = recompute everything. */
    changedUserPaths: z.array(z.string()).optional(),
    removedAssignments: z.array(assignmentSchema).optional(),
    /** Identifies one request, so a repeated signal for it is recognised and ignored. */
    requestId: z.string().optional(),
  })
  .strict();
export type ProvisionUserInput = z.input<typeof provisionUserInputSchema>;

export const provisionAccountInputSchema = z
  .object({
    shadowOid: z.string().min(1),
    resourceOid: z.string().min(1).optional(),
  })
  .strict();
export type ProvisionAccountInput = z.input<typeof provisionAccountInputSchema>;

export const processChangeInputSchema = resourceChangeSchema.refine(
  (c) => !!(c.primaryIdentifier || c.secondaryIdentifier || c.currentObject),
  { message: 'a change needs primaryIdentifier, secondaryIdentifier or currentObject to find the resource object' },
);
export type ProcessChangeInput = z.input<typeof processChangeInputSchema>;
