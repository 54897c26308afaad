/** Request bodies of the HTTP API (also the source of its OpenAPI document). */
import { z } from 'zod';
import { dateTimePattern, durationSchema, durationTextSchema, durationToMs } from './config';
import { changeEventFields, namesTheAccount, namesTheAccountMessage, safetyOverrideSchema } from './workflow-inputs';
import { MULTI_VALUED_TEXT_USER_PROPERTIES, SINGLE_VALUED_USER_PROPERTIES, simulationKinds } from './objects';

export { simulationKinds, type SimulationKind } from './objects';

export const changeNotificationSchema = changeEventFields()
  .extend({
    /** Resource oid or name. */
    resource: z.string().min(1),
  })
  .strict()
  .refine(namesTheAccount, namesTheAccountMessage)
  .meta({ anyOf: [{ required: ['account'] }, { required: ['primaryIdentifier'] }] });
export type ChangeNotification = z.input<typeof changeNotificationSchema>;

export const changeEventListSchema = z.array(changeNotificationSchema).min(1).max(1000);

/** `POST /api/v1/changes`: one change event, or up to 1,000 in arrival order. */
export const changeEventsSchema = z.union([changeNotificationSchema, changeEventListSchema]);

// ---- users --------------------------------------------------------------------------------

/** The user properties an operator may set; `name`, assignments and links have their own commands. */
export const settableUserProperties = [...SINGLE_VALUED_USER_PROPERTIES.filter((p) => p !== 'name'), ...MULTI_VALUED_TEXT_USER_PROPERTIES, 'templateRef', 'activation/administrativeStatus', 'activation/validFrom', 'activation/validTo', 'credentials/password/value'];

const dateTimeOrEmpty = z.string().regex(new RegExp(`^$|${dateTimePattern.source}`), 'expected a date and time with its zone, such as 2026-12-01T08:00:00Z');

/** `activation`: what people set of a user's activation; an empty string or null clears an item. */
export const activationChangesSchema = z
  .strictObject({
    administrativeStatus: z.union([z.enum(['enabled', 'disabled', 'archived']), z.literal('')], { error: 'expected enabled, disabled or archived' }).nullable().optional(),
    validFrom: dateTimeOrEmpty.nullable().optional(),
    validTo: dateTimeOrEmpty.nullable().optional(),
  })
  .refine((a) => Object.keys(a).length > 0, { message: 'name at least one of administrativeStatus, validFrom, validTo' })
  .meta({ minProperties: 1 });

/** `credentials`: a new password (the API's only way to give one; it is sealed before it is stored). */
export const credentialsChangesSchema = z.strictObject({
  password: z.strictObject({ value: z.string().min(1, 'a password is not empty').max(1024) }),
});

/** A property's new value; an empty string or null clears it. */
const propertyValue = z.string().nullable();
const propertyValues = z.union([z.string(), z.array(z.string().min(1))]).nullable();
const extensionNameRule = 'an extension property name is letters, digits, _ and -';
const extensionName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, extensionNameRule);

/** The properties of a user, as `POST /api/v1/users` takes them (any of them, or none). */
export const userPropertiesSchema = z.strictObject(
  {
    fullName: propertyValue.optional(),
    givenName: propertyValue.optional(),
    familyName: propertyValue.optional(),
    // The pattern alone, without JSON Schema's `format: email` (which limits lengths zod does not).
    emailAddress: z.union([z.literal(''), z.string().regex(z.regexes.email, 'expected an e-mail address')]).nullable().optional(),
    telephoneNumber: propertyValue.optional(),
    title: propertyValue.optional(),
    locality: propertyValue.optional(),
    employeeNumber: propertyValue.optional(),
    /** Multi-valued: the new values as a whole (one value or a list; an empty list, "" or null clears). */
    employeeType: propertyValues.optional(),
    organization: propertyValues.optional(),
    organizationalUnit: propertyValues.optional(),
    /** The user's object template (oid or name); empty: the default template. */
    templateRef: propertyValue.optional(),
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
);

/** `PATCH /api/v1/users/{ref}`, `tally user set`: the properties to change, at least one. */
export const userPropertyChangesSchema = userPropertiesSchema
  .refine((c) => Object.keys(c).length > 0 && (c.extension === undefined || Object.keys(c).length > 1 || Object.keys(c.extension).length > 0), {
    message: 'name at least one property to set',
    // Only when the body is otherwise valid: an unknown property alone is the mistake to report.
    when: (payload) => payload.issues.length === 0,
  })
  // The rule above for the OpenAPI document: a property, and not an empty `extension` alone.
  .meta({ minProperties: 1, not: { required: ['extension'], maxProperties: 1, properties: { extension: { maxProperties: 0 } } } });
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
  })
  .meta({ oneOf: [{ required: ['role'], properties: { resource: false, kind: false, intent: false } }, { required: ['resource'], properties: { role: false } }] });
export type AssignmentRequest = z.output<typeof assignmentRequestSchema>;

/** zod issues as `{ field, message }`, the shape every 400 answer carries. */
export function issueList(error: z.ZodError, separator = '.'): Array<{ field: string; message: string }> {
  return error.issues.map((i) => ({ field: i.path.map(String).join(separator) || '(body)', message: i.message }));
}

/** The problems of a 400 answer as its one-line `message`. */
export function problemsSentence(problems: ReadonlyArray<{ field: string; message: string }>): string {
  return problems.map((p) => (p.field === '(body)' ? p.message : `${p.field}: ${p.message}`)).join('; ');
}

// ---- reconciliation and import ------------------------------------------------------------

export const runRequestSchema = z
  .object({
    /** Objects read per page (default: the resource's reconciliation.pageSize, else 1000). */
    pageSize: z.number().int().min(1).max(5000).optional(),
    /** Child workflows sharing the run (default: the resource's reconciliation.buckets, else 1). */
    buckets: z.number().int().min(1).max(64).optional(),
    /** This run's thresholds over the resource's safety, e.g. { "maxDeletes": 100 } ("off": none). */
    safety: safetyOverrideSchema.optional(),
    /** A simulation: the run writes nothing but its results (GET /api/v1/simulations/{id}). */
    simulate: z.boolean().optional(),
    /** How long a simulation's results are kept, e.g. "7d" (default 7 days); only with simulate. */
    keepFor: durationSchema.optional(),
  })
  .strict();

/** `POST /api/v1/runs/{workflowId}/approve|reject`: who decides, and why (both optional). */
export const runDecisionSchema = z.object({ by: z.string().max(200).optional(), reason: z.string().max(2000).optional() }).strict();


/** `GET /api/v1/simulations/{id}`: a page of the simulation's per-object results. */
export const simulationQuerySchema = z
  .object({
    only: z.enum(simulationKinds).optional(),
    after: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

// ---- listings and lifecycle ---------------------------------------------------------------

/** Every error answer of the API: a short kind, a sentence, and for 400 the fields at fault. */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string().optional(),
  problems: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** 409 of a run start: the run that is running. */
  workflowId: z.string().optional(),
});

/** `POST /api/v1/users`, `tally user create <name> [property=value...] [--assign role...]`. */
export const userCreationSchema = z.strictObject(
  {
    name: z
      .string()
      .min(1, 'a user needs a name')
      .max(256)
      .regex(/^\S(.*\S)?$/, 'a user name has no spaces at its start or end'),
    /** fullName, givenName, familyName, emailAddress, extension: as `PATCH /api/v1/users/{ref}` takes them. */
    properties: z.record(z.string(), z.unknown()).optional(),
    /** Roles (oid or name) to assign. */
    assign: z.array(z.string().min(1)).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; a new user is { name, properties?, assign? }` : undefined) },
);

/** `GET /api/v1/users?name=&limit=&after=`. */
export const userListQuerySchema = z.strictObject({
  /** Users whose name contains this (any case). */
  name: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** The `next` of the previous page. */
  after: z.string().optional(),
});

/** `DELETE /api/v1/users/{ref}`: `wait=true` answers when he is gone, or after `timeout` (default 30s) with what it waits for. */
export const userDeletionQuerySchema = z
  .strictObject({
    wait: z.enum(['true', 'false']).optional(),
    timeout: durationTextSchema.optional(),
  })
  .refine((q) => q.timeout === undefined || q.wait === 'true', { message: 'timeout limits wait=true: give both, or neither', path: ['timeout'] })
  .meta({ dependentSchemas: { timeout: { required: ['wait'], properties: { wait: { const: 'true' } } } } })
  .transform((q) => ({ wait: q.wait === 'true', timeoutMs: q.wait === 'true' ? durationToMs(q.timeout ?? '30s') : undefined }));

export const userListingSchema = z.object({
  users: z.array(
    z.object({ oid: z.string(), name: z.string(), fullName: z.string().optional(), assignments: z.number(), accounts: z.number(), modified: z.string() }),
  ),
  /** The cursor of the next page (give it as `after`); absent on the last page. */
  next: z.string().optional(),
  /** The next page's path, when there is one. */
  nextLink: z.string().optional(),
});
export type UserListing = z.infer<typeof userListingSchema>;

const shadowCountsSchema = z.object({ total: z.number(), existing: z.number(), dead: z.number(), pending: z.number() });

export const resourceListingSchema = z.object({
  oid: z.string(),
  name: z.string(),
  description: z.string().optional(),
  connectorType: z.string(),
  /** Where the connector points (URL and base, or host, database and table); never a secret. */
  endpoint: z.string(),
  objectTypes: z.array(z.object({ kind: z.string(), intent: z.string(), objectClass: z.string(), attributes: z.number() })),
  liveSync: z.object({ configured: z.boolean(), interval: z.union([z.string(), z.number()]).optional(), batchSize: z.number().optional(), workflowId: z.string() }),
  reconciliation: z.object({ schedule: z.string().optional(), scheduleId: z.string().optional(), pageSize: z.number().optional(), buckets: z.number().optional() }),
  assignmentPolicyEnforcement: z.string(),
  shadows: shadowCountsSchema,
});
export type ResourceListing = z.infer<typeof resourceListingSchema>;

export const roleListingSchema = z.object({
  oid: z.string(),
  name: z.string(),
  description: z.string().optional(),
  /** What the role gives: `account on <resource> (<kind>/<intent>)`, `role <name>` or focus mappings. */
  inducements: z.array(z.string()),
});
export type RoleListing = z.infer<typeof roleListingSchema>;

export const templateListingSchema = z.object({
  oid: z.string(),
  name: z.string(),
  /** `<strength> <sources> -> <target>` per mapping. */
  mappings: z.array(z.string()),
});
export type TemplateListing = z.infer<typeof templateListingSchema>;

/** `tally resource test`, `POST /api/v1/resources/{ref}/test`: each check with its outcome. */
export const resourceTestSchema = z.object({
  resource: z.string(),
  resourceOid: z.string(),
  ok: z.boolean(),
  checks: z.array(z.object({ check: z.string(), ok: z.boolean(), message: z.string() })),
});
export type ResourceTest = z.infer<typeof resourceTestSchema>;

/** `tally user delete`, `DELETE /api/v1/users/{ref}`. */
export const userDeletionSchema = z.object({
  userOid: z.string(),
  name: z.string(),
  workflowId: z.string(),
  /** With --wait (or `?wait=true`): what was done to each account, and whether the user is gone. */
  outcome: z
    .object({
      deleted: z.boolean(),
      accounts: z.array(
        z.object({ shadowOid: z.string(), resource: z.string(), action: z.enum(['delete', 'unlink', 'disable']), state: z.enum(['done', 'waiting', 'failed']), message: z.string().optional() }),
      ),
    })
    .optional(),
  /** Waited for and still going at the timeout: what the deletion waits for. */
  waiting: z.string().optional(),
});

/** `tally operation retry|cancel|discard`, `POST /api/v1/operations/{id}/retry|cancel|discard`. */
export const operationActions = ['retry', 'cancel', 'discard'] as const;
export const operationActionSchema = z.object({
  workflowId: z.string(),
  action: z.enum(operationActions),
  /** What was done: `reset`, `woken`, `cancelled`, `discarded`, `already running` ... */
  done: z.string(),
  message: z.string(),
});
export type OperationAction = z.infer<typeof operationActionSchema>;
