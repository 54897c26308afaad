/** Request bodies of the HTTP API (also the source of its OpenAPI document). */
import { z } from 'zod';
import { isDateTime } from './config';
import { changeEventFieldsSchema, namesTheAccount, namesTheAccountMessage } from './workflow-inputs';

export const changeNotificationSchema = changeEventFieldsSchema
  .extend({
    /** Resource oid or name. */
    resource: z.string().min(1),
  })
  .strict()
  .refine(namesTheAccount, namesTheAccountMessage);
export type ChangeNotification = z.input<typeof changeNotificationSchema>;

export const changeEventListSchema = z.array(changeNotificationSchema).min(1).max(1000);

/** `POST /api/v1/changes`: one change event, or up to 1,000 in arrival order. */
export const changeEventsSchema = z.union([changeNotificationSchema, changeEventListSchema]);

// ---- users --------------------------------------------------------------------------------

/** The user properties an operator may set; `name`, assignments and links have their own commands. */
export const settableUserProperties = ['fullName', 'givenName', 'familyName', 'emailAddress', 'activation/administrativeStatus', 'activation/validFrom', 'activation/validTo', 'credentials/password/value'] as const;

const dateTimeOrEmpty = z.string().refine((s) => s === '' || isDateTime(s), 'expected a date and time with its zone, such as 2026-12-01T08:00:00Z');

/** `activation`: what people set of a user's activation; an empty string or null clears an item. */
export const activationChangesSchema = z
  .strictObject({
    administrativeStatus: z.union([z.enum(['enabled', 'disabled', 'archived']), z.literal('')], { error: 'expected enabled, disabled or archived' }).nullable().optional(),
    validFrom: dateTimeOrEmpty.nullable().optional(),
    validTo: dateTimeOrEmpty.nullable().optional(),
  })
  .refine((a) => Object.keys(a).length > 0, { message: 'name at least one of administrativeStatus, validFrom, validTo' });

/** `credentials`: a new password (the API's only way to give one; it is sealed before it is stored). */
export const credentialsChangesSchema = z.strictObject({
  password: z.strictObject({ value: z.string().min(1, 'a password is not empty').max(1024) }),
});

/** A property's new value; an empty string or null clears it. */
const propertyValue = z.string().nullable();
const extensionNameRule = 'an extension property name is letters, digits, _ and -';
const extensionName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, extensionNameRule);

export const userPropertyChangesSchema = z
  .strictObject(
    {
      fullName: propertyValue.optional(),
      givenName: propertyValue.optional(),
      familyName: propertyValue.optional(),
      emailAddress: z.union([z.literal(''), z.email('expected an e-mail address')]).nullable().optional(),
      activation: activationChangesSchema.optional(),
      credentials: credentialsChangesSchema.optional(),
      /** `extension/<name>` on the command line. */
      extension: z
        .record(extensionName, z.union([z.string(), z.number(), z.boolean()]).nullable(), {
          error: (issue) => (issue.code === 'invalid_key' ? extensionNameRule : undefined),
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown user propert${issue.keys.length > 1 ? 'ies' : 'y'} ${issue.keys.map((k) => `'${k}'`).join(', ')}; settable are ${settableUserProperties.join(', ')} and extension/<name>`
          : undefined,
    },
  )
  .refine((c) => Object.keys(c).length > 0 && (c.extension === undefined || Object.keys(c).length > 1 || Object.keys(c.extension).length > 0), {
    message: 'name at least one property to set',
    // Only when the body is otherwise valid: an unknown property alone is the mistake to report.
    when: (payload) => payload.issues.length === 0,
  });
export type UserPropertyChanges = z.output<typeof userPropertyChangesSchema>;

/** An assignment to add or remove: a role, or an account on a resource (kind and intent default to account/default). */
export const assignmentRequestSchema = z
  .strictObject(
    {
      /** Role oid or name. */
      role: z.string().min(1).optional(),
      /** Resource oid or name: a direct account construction. */
      resource: z.string().min(1).optional(),
      kind: z.enum(['account', 'entitlement', 'generic']).optional(),
      intent: z.string().min(1).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; an assignment is { role } or { resource, kind?, intent? }` : undefined) },
  )
  .superRefine((a, ctx) => {
    if (!!a.role === !!a.resource) ctx.addIssue({ code: 'custom', message: 'name exactly one of role or resource', path: [] });
    if (a.role && (a.kind || a.intent)) ctx.addIssue({ code: 'custom', message: 'kind and intent belong to a resource assignment, not a role', path: [a.kind ? 'kind' : 'intent'] });
  });
export type AssignmentRequest = z.output<typeof assignmentRequestSchema>;

/** zod issues as `{ field, message }`, the shape every 400 answer carries. */
export function issueList(error: z.ZodError, separator = '.'): Array<{ field: string; message: string }> {
  return error.issues.map((i) => ({ field: i.path.map(String).join(separator) || '(body)', message: i.message }));
}

// ---- reconciliation and import ------------------------------------------------------------

export const runRequestSchema = z
  .object({
    /** Objects read per page (default: the resource's reconciliation.pageSize, else 1000). */
    pageSize: z.number().int().min(1).max(5000).optional(),
    /** Child workflows sharing the run (default: the resource's reconciliation.buckets, else 1). */
    buckets: z.number().int().min(1).max(64).optional(),
  })
  .strict();
