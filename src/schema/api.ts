/** Request bodies of the HTTP API (also the source of its OpenAPI document). */
import { z } from 'zod';
import { changeTypeSchema, itemDeltaSchema } from './objects';

export const changeNotificationSchema = z
  .object({
    /** Resource oid or name. */
    resource: z.string().min(1),
    /** The account's name on the resource (LDAP DN, login): its secondary identifier. */
    account: z.string().min(1).optional(),
    /** The account's stable identifier (LDAP entryUUID, row key). */
    primaryIdentifier: z.string().min(1).optional(),
    changeType: changeTypeSchema.default('unknown'),
    attributeDeltas: z.array(itemDeltaSchema).optional(),
  })
  .strict()
  .refine((c) => c.account || c.primaryIdentifier, { message: 'name the account: account (its name) or primaryIdentifier' });
export type ChangeNotification = z.input<typeof changeNotificationSchema>;
