/**
 * Configuration objects an IDM engineer writes in YAML (one object per YAML document).
 * Keys follow the seeds' XML elements; a repeated XML element is a list under its singular name,
 * and where the seeds show a single element (`outbound`, `inbound`, `source`, `action`) one object
 * or a list are both accepted and normalised to a list.
 */
import { z } from 'zod';
import { objectRefSchema, oneOrMany, durationSchema, channelSchema, situationSchema, failedChangeSchema, isDateTime, dateTimeRule, safetySchema } from './config-basics';
import { expressionSchema, inboundMappingSchema, outboundMappingSchema, strengthSchema, templateMappingSchema, type Expression } from './mappings';
import { accountConstructionSchema, assignmentSchema } from './assignments';

export * from './config-basics';
export * from './mappings';
export * from './assignments';


/** Secrets are given by reference only, so they never stand in a file that is committed or stored. */
export const secretRefSchema = z.union(
  [z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()],
  { error: 'expected a secret reference { env: VARIABLE } or { file: PATH }; secrets are never written inline' },
);
export type SecretRef = z.infer<typeof secretRefSchema>;

// ---- resources ----------------------------------------------------------------------------

export const ldapConnectorSchema = z
  .object({
    type: z.literal('ldap'),
    url: z.string().regex(/^ldaps?:\/\//, 'expected an ldap:// or ldaps:// URL'),
    bindDn: z.string().min(1),
    bindPassword: secretRefSchema,
    baseContext: z.string().min(1),
    /** The attribute that never changes for an entry (icfs:uid); the DN is the secondary identifier (icfs:name). */
    primaryIdentifier: z.string().default('entryUUID'),
    /** Object classes given to created entries. */
    objectClasses: z.array(z.string()).default(['top', 'person', 'organizationalPerson', 'inetOrgPerson']),
    searchFilter: z.string().default('(objectClass=inetOrgPerson)'),
    pageSize: z.number().int().positive().default(500),
    timeout: durationSchema.default('10s'),
    changelog: z
      .object({
        type: z.literal('accesslog'),
        base: z.string().default('cn=accesslog'),
        /**
         * Changes made by these DNs are Tally's own writes coming back, not changes on the resource
         * (midPoint's modifiersNamesToFilterOut). @default [the connector's bindDn]
         */
        ignoreModifiers: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type LdapConnectorConfig = z.infer<typeof ldapConnectorSchema>;

export const postgresConnectorSchema = z
  .object({
    type: z.literal('postgres'),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().positive().default(5432),
    database: z.string().default('postgres'),
    user: z.string().default('postgres'),
    password: secretRefSchema.optional(),
    schema: z.string().default('public'),
    table: z.string().min(1),
    /** Column holding the stable, generated identifier (icfs:uid). */
    primaryIdentifier: z.string().default('id'),
    /** Column holding the name (icfs:name), unique. */
    secondaryIdentifier: z.string().default('name'),
    /** Column with the last modification time; enables `changes since token`. */
    modifiedColumn: z.string().optional(),
    /**
     * Column a trigger fills with the writing connection's `application_name`: rows Tally wrote last
     * (its connections say `tally`) are its own writes coming back, and live sync skips them.
     */
    modifiedByColumn: z.string().optional(),
    /** Column holding the account's password: values written to it are stored as `{SSHA256}` hashes, and it is never read back. */
    passwordColumn: z.string().min(1).optional(),
    pageSize: z.number().int().positive().default(1000),
    timeout: durationSchema.default('10s'),
  })
  .strict();
export type PostgresConnectorConfig = z.infer<typeof postgresConnectorSchema>;

/** An Active Directory object's identifier that never changes (icfs:uid), read as the usual GUID string. */
export const AD_PRIMARY_IDENTIFIER = 'objectGUID';

/** Active Directory (or Samba AD): LDAP with AD's identifiers, activation, passwords and change tracking. */
export const adConnectorSchema = z
  .object({
    type: z.literal('ad'),
    url: z.string().regex(/^ldaps?:\/\//, 'expected an ldap:// or ldaps:// URL (ldaps:// to write passwords)'),
    bindDn: z.string().min(1),
    bindPassword: secretRefSchema,
    baseContext: z.string().min(1),
    /** PEM file of the CA that signed the domain controller's certificate. @default the system's CAs */
    caFile: z.string().min(1).optional(),
    /** The name the server's certificate is checked against. @default the URL's host */
    tlsServerName: z.string().min(1).optional(),
    /** StartTLS on an ldap:// URL before the bind: encrypted as LDAPS is, so passwords may go over it. */
    startTls: z.boolean().default(false),
    /** Whether `unicodePwd` may be sent over plain ldap:// (test servers only). */
    allowPlainPasswords: z.boolean().default(false),
    /** Whether live sync passes over Tally's own writes (each write's uSNChanged, remembered). */
    ignoreOwnWrites: z.boolean().default(true),
    objectClasses: z.array(z.string()).default(['top', 'person', 'organizationalPerson', 'user']),
    searchFilter: z.string().default('(&(objectClass=user)(objectCategory=person))'),
    pageSize: z.number().int().positive().default(500),
    timeout: durationSchema.default('10s'),
  })
  .strict();
export type AdConnectorConfig = z.infer<typeof adConnectorSchema>;

/** A CSV file, one row per object (midPoint's CSV connector). */
export const csvConnectorSchema = z
  .object({
    type: z.literal('csv'),
    file: z.string().min(1),
    /** Column holding the value no two rows share (icfs:uid); given on create, or a generated UUID. */
    uniqueAttribute: z.string().min(1),
    /** Column holding the name (icfs:name). @default the uniqueAttribute */
    nameAttribute: z.string().min(1).optional(),
    /** Column holding the password: written as `{SSHA256}` hashes, never read back. */
    passwordAttribute: z.string().min(1).optional(),
    /** Columns holding several values, joined by multivalueDelimiter. */
    multivalueAttributes: z.array(z.string().min(1)).default([]),
    multivalueDelimiter: z.string().min(1).default('|'),
    delimiter: z.string().min(1).default(';'),
    quote: z.string().length(1).default('"'),
    encoding: z.enum(['utf8', 'latin1', 'ascii', 'utf16le']).default('utf8'),
    /** Whether the first line names the columns; without it `columns` must. */
    headerExists: z.boolean().default(true),
    columns: z.array(z.string().min(1)).optional(),
    /** Lines starting with it are comments. */
    commentMarker: z.string().length(1).default('#'),
    /** Where the synchronized copies are kept. @default `<file>.snapshots` beside the file */
    snapshotFolder: z.string().min(1).optional(),
    /** How many synchronized copies are kept. */
    keepSnapshots: z.number().int().min(2).default(5),
    /** Rows whose content is what Tally last wrote to them are its own writes coming back, and live sync skips them. */
    ignoreOwnWrites: z.boolean().default(true),
    pageSize: z.number().int().positive().default(1000),
    /** How long a write waits for the file's lock. */
    lockTimeout: durationSchema.default('10s'),
  })
  .strict()
  .refine((c) => c.headerExists || (c.columns?.length ?? 0) > 0, { message: 'a file without a header line needs its columns named', path: ['columns'] });
export type CsvConnectorConfig = z.infer<typeof csvConnectorSchema>;

/**
 * Users and groups that services (an HR system, Entra, Okta) push to Tally over SCIM 2.0: Tally is the SCIM
 * service provider and keeps the objects pushed; they are this resource's accounts.
 */
export const scimServiceConnectorSchema = z
  .object({
    type: z.literal('scim-service'),
    /** The bearer token the pushing service sends: it selects this resource at `/scim/v2`. */
    token: secretRefSchema,
    /** Objects per page when import and reconciliation read the pushed users. */
    pageSize: z.number().int().positive().max(10_000).default(500),
  })
  .strict();
export type ScimServiceConnectorConfig = z.infer<typeof scimServiceConnectorSchema>;

/** A SCIM 2.0 service (RFC 7643/7644): its Users are the accounts, its Groups the entitlements. */
export const scimConnectorSchema = z
  .object({
    type: z.literal('scim'),
    /** The service's root, where /Users, /Groups and /ServiceProviderConfig are: `https://app.example.com/scim/v2`. */
    baseUrl: z.string().regex(/^https?:\/\/[^/]/, 'expected an http:// or https:// URL, such as https://app.example.com/scim/v2'),
    /** The bearer token the service gave Tally. */
    token: secretRefSchema,
    /** What deleting an account does: `delete` (DELETE), or `disable` (active=false) where the service keeps its users. */
    deprovision: z.enum(['delete', 'disable']).default('delete'),
    /** Users read per request (SCIM `count`); the service may give fewer. */
    pageSize: z.number().int().positive().default(100),
    /** Whether the service takes PATCH (else a modify is a PUT of the whole user). @default what its ServiceProviderConfig says */
    patch: z.boolean().optional(),
    /** Whether the enterprise extension's attributes (employeeNumber, department, manager ...) are written and read. */
    enterpriseExtension: z.boolean().default(true),
    timeout: durationSchema.default('10s'),
  })
  .strict();
export type ScimConnectorConfig = z.infer<typeof scimConnectorSchema>;

export const connectorConfigSchema = z.discriminatedUnion('type', [ldapConnectorSchema, postgresConnectorSchema, adConnectorSchema, csvConnectorSchema, scimServiceConnectorSchema, scimConnectorSchema]);
export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
/** Connectors to a directory (LDAP, Active Directory): DNs as names, object classes, base contexts. */
export type DirectoryConnectorConfig = LdapConnectorConfig | AdConnectorConfig;
export const isDirectoryConnector = (c: ConnectorConfig): c is DirectoryConnectorConfig => c.type === 'ldap' || c.type === 'ad';

export const retryPolicySchema = z
  .object({
    initialInterval: durationSchema.default('30s'),
    backoffCoefficient: z.number().min(1).default(2),
    maximumInterval: durationSchema.default('30m'),
    /** Unset: retry until the resource comes back. */
    maximumAttempts: z.number().int().positive().optional(),
  })
  .strict();
export type RetryPolicyConfig = z.infer<typeof retryPolicySchema>;


/**
 * How values of an attribute are compared (midPoint's matching rules; `mr:stringIgnoreCase` and the full
 * matching-rule URI are accepted too). `default` compares values exactly.
 */
export const matchingRuleNames = ['default', 'polyStringOrig', 'polyStringStrict', 'polyStringNorm', 'stringIgnoreCase', 'distinguishedName', 'uuid'] as const;
export const matchingRuleSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.replace(/^(mr:|http:\/\/prism\.evolveum\.com\/xml\/ns\/public\/matching-rule-3#)/, '') : v),
  z.enum(matchingRuleNames, { error: `expected a matching rule: ${matchingRuleNames.join(', ')}` }),
);
export type MatchingRuleName = (typeof matchingRuleNames)[number];

export const attributeDefinitionSchema = z
  .object({
    /** `icfs:name` / `icfs:uid` are the connector's secondary / primary identifier; `ri:cn` or `cn` an attribute. */
    ref: z.string().min(1),
    displayName: z.string().optional(),
    access: oneOrMany(z.enum(['read', 'create', 'update'])).optional(),
    multiValued: z.boolean().default(false),
    /** How values are compared: `uid` JACK and jack are one value under `stringIgnoreCase`. @default default (exact) */
    matchingRule: matchingRuleSchema.optional(),
    /** false: values on the resource that no mapping produces are removed. */
    tolerant: z.boolean().default(true),
    outbound: oneOrMany(outboundMappingSchema).default([]),
    inbound: oneOrMany(inboundMappingSchema).default([]),
  })
  .strict();
export type AttributeDefinition = z.infer<typeof attributeDefinitionSchema>;

export const iterationSchema = z
  .object({
    maxIterations: z.number().int().nonnegative().default(5),
    /** Script computing the token from `iteration` (default: '' for 0, the number otherwise). */
    tokenExpression: expressionSchema.optional(),
  })
  .strict();

/**
 * Which accounts a protected entry's filter matches: `equal` (a value of the attribute is the value),
 * `endsWith` (a value ends with it; for a distinguished name, the entry is in that subtree), combined with
 * `and` / `or`. `matchingRule` compares under that rule instead of the attribute's.
 */
export type ProtectionFilter =
  | { equal: ProtectionFilterTerm }
  | { endsWith: ProtectionFilterTerm }
  | { and: ProtectionFilter[] }
  | { or: ProtectionFilter[] };
export interface ProtectionFilterTerm {
  path: string;
  value: string | number | boolean;
  matchingRule?: MatchingRuleName;
}
const protectionFilterTermSchema = z
  .object({ path: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]), matchingRule: matchingRuleSchema.optional() })
  .strict();
export const protectionFilterSchema: z.ZodType<ProtectionFilter> = z.lazy(() =>
  z.union([
    z.object({ equal: protectionFilterTermSchema }).strict(),
    z.object({ endsWith: protectionFilterTermSchema }).strict(),
    z.object({ and: z.array(protectionFilterSchema).min(1) }).strict(),
    z.object({ or: z.array(protectionFilterSchema).min(1) }).strict(),
  ]),
) as z.ZodType<ProtectionFilter>;

/**
 * An account Tally never correlates, modifies or deletes (midPoint's `protected`): by its name (icfs:name,
 * compared with that attribute's matching rule, else as a distinguished name) or by a filter on its attributes.
 */
export const protectedAccountSchema = z
  .object({
    name: z.string().min(1).optional(),
    filter: protectionFilterSchema.optional(),
  })
  .strict()
  .refine((p) => (p.name === undefined) !== (p.filter === undefined), {
    message: 'a protected account needs exactly one of name or filter: { equal | endsWith: { path, value }, and | or: [...] }',
  });
export type ProtectedAccount = z.infer<typeof protectedAccountSchema>;

/**
 * midPoint's association of an account with entitlements (`ri:group`). `objectToSubject`: the
 * entitlement (an LDAP group) holds the membership, its `associationAttribute` (`member`) lists the
 * account's `valueAttribute` (`dn`: the account's DN, or an attribute such as `uid` for memberUid).
 */
export const associationDefinitionSchema = z
  .object({
    /** The association's name, `ri:group` or `group`; constructions refer to it. */
    ref: z.string().min(1),
    displayName: z.string().optional(),
    kind: z.literal('entitlement').default('entitlement'),
    /** The intent of the resource's entitlement object type the targets belong to. */
    intent: z.string().min(1),
    direction: z.enum(['objectToSubject', 'subjectToObject']).default('objectToSubject'),
    /** Attribute of the entitlement that holds the members (`member`, `uniqueMember`, `memberUid`). */
    associationAttribute: z.string().min(1),
    /** What of the account the member values are: `dn` (its name, icfs:name) or one of its attributes. @default dn */
    valueAttribute: z.string().min(1).default('dn'),
    /** false: memberships no construction gives are removed. */
    tolerant: z.boolean().default(true),
    /** Tally keeps the entitlements' member values right when an account is renamed or deleted. */
    explicitReferentialIntegrity: z.boolean().default(true),
    /**
     * Written instead of the last member when it goes (groupOfNames needs at least one `member`);
     * unset, removing a group's last member fails with an error saying so.
     */
    placeholderValue: z.string().min(1).optional(),
  })
  .strict();
export type AssociationDefinition = z.infer<typeof associationDefinitionSchema>;
/** How strongly an activation or credentials mapping applies (as for attribute mappings). */
const strengthOnlySchema = z.object({ strength: strengthSchema.default('normal') }).strict();

/**
 * The account's administrative status on the resource (midPoint's simulated activation capability): an
 * attribute with a value for disabled and, optionally, one for enabled (without `enabledValue` an enabled
 * account has no value in the attribute). `outbound` writes the user's effective status; `inbound` reads
 * the account's status into the user's `activation/administrativeStatus`.
 */
export const administrativeStatusConfigSchema = z
  .object({
    attribute: z.string().min(1),
    enabledValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
    disabledValue: z.union([z.string(), z.number(), z.boolean()]),
    outbound: strengthOnlySchema.optional(),
    inbound: strengthOnlySchema.optional(),
  })
  .strict()
  .refine((s) => s.enabledValue === undefined || String(s.enabledValue) !== String(s.disabledValue), {
    message: 'enabledValue and disabledValue must differ',
  });
export type AdministrativeStatusConfig = z.infer<typeof administrativeStatusConfigSchema>;

/**
 * What happens to an account no construction asks for any more (its assignment went, or its user was
 * deleted), where the resource's enforcement would delete it: `delete` (the default) deletes it;
 * `disable` keeps it, disabled through the status attribute, and `deleteAfter` lets reconciliation
 * delete it once it has been so that long (midPoint's disable instead of delete, delayed delete).
 */
export const deprovisioningConfigSchema = z
  .object({
    action: z.enum(['delete', 'disable']).default('delete'),
    deleteAfter: durationSchema.optional(),
  })
  .strict();
export type DeprovisioningConfig = z.infer<typeof deprovisioningConfigSchema>;

export const activationConfigSchema = z
  .object({ administrativeStatus: administrativeStatusConfigSchema.optional(), deprovisioning: deprovisioningConfigSchema.optional() })
  .strict()
  .superRefine((a, ctx) => {
    if (a.deprovisioning?.action === 'disable' && !a.administrativeStatus) {
      ctx.addIssue({ code: 'custom', path: ['deprovisioning', 'action'], message: 'disable needs activation.administrativeStatus: the attribute that says the account is disabled' });
    }
    if (a.deprovisioning?.deleteAfter !== undefined && a.deprovisioning.action !== 'disable') {
      ctx.addIssue({ code: 'custom', path: ['deprovisioning', 'deleteAfter'], message: 'deleteAfter applies to accounts disabled instead of deleted: it needs action: disable' });
    }
  });
export type ActivationConfig = z.infer<typeof activationConfigSchema>;

/**
 * What a generated password must be (midPoint's value policy, string limitations): its length and the
 * least number of characters of each class.
 */
export const valuePolicySchema = z
  .object({
    minLength: z.number().int().min(1).max(256).default(12),
    maxLength: z.number().int().min(1).max(256).optional(),
    minLowercase: z.number().int().nonnegative().default(1),
    minUppercase: z.number().int().nonnegative().default(1),
    minDigits: z.number().int().nonnegative().default(1),
    minSpecial: z.number().int().nonnegative().default(0),
    /** The characters that count as special. */
    specialCharacters: z.string().min(1).default('!#$%&*+-=?@^_~'),
  })
  .strict()
  .refine((p) => p.maxLength === undefined || p.maxLength >= p.minLength, { message: 'maxLength must not be less than minLength', path: ['maxLength'] })
  .refine((p) => p.minLowercase + p.minUppercase + p.minDigits + p.minSpecial <= (p.maxLength ?? Math.max(p.minLength, 256)), {
    message: 'the character class minimums add up to more than maxLength',
  });
export type ValuePolicy = z.infer<typeof valuePolicySchema>;

/**
 * The account's password: `outbound` gives it the user's password as it is (midPoint's `asIs`), sealed
 * until the connector call; `inbound` with `expression: { generate: {} }` gives a user without a password
 * one made by `valuePolicy`.
 */
export const passwordConfigSchema = z
  .object({
    /** The attribute holding the password (LDAP `userPassword`; the PostgreSQL connector's `passwordColumn`). */
    attribute: z.string().min(1),
    outbound: strengthOnlySchema.optional(),
    inbound: z
      .object({
        /** Only weak: a password is generated for a user who has none, never over his own. */
        strength: z.literal('weak', { error: "a generated password is weak only: it is given to users who have none" }).default('weak'),
        expression: z.object({ generate: z.object({}).strict() }).strict(),
      })
      .strict()
      .optional(),
    valuePolicy: valuePolicySchema.optional(),
  })
  .strict();
export type PasswordConfig = z.infer<typeof passwordConfigSchema>;

export const credentialsConfigSchema = z.object({ password: passwordConfigSchema.optional() }).strict();
export type CredentialsConfig = z.infer<typeof credentialsConfigSchema>;

export const objectTypeSchema = z
  .object({
    name: z.string().optional(),
    kind: z.enum(['account', 'entitlement', 'generic']).default('account'),
    intent: z.string().default('default'),
    default: z.boolean().default(false),
    displayName: z.string().optional(),
    objectClass: z.string().min(1),
    /** LDAP: where objects of this type live. @default the connector's baseContext */
    baseContext: z.string().min(1).optional(),
    /** LDAP: which entries under the base context are of this type. @default the connector's searchFilter for accounts, (objectClass=<objectClass>) otherwise */
    searchFilter: z.string().min(1).optional(),
    /** LDAP: object classes given to created entries of this type. @default the connector's objectClasses */
    objectClasses: z.array(z.string().min(1)).min(1).optional(),
    attribute: oneOrMany(attributeDefinitionSchema).default([]),
    association: oneOrMany(associationDefinitionSchema).optional(),
    iteration: iterationSchema.optional(),
    protected: oneOrMany(protectedAccountSchema).default([]),
    activation: activationConfigSchema.optional(),
    credentials: credentialsConfigSchema.optional(),
  })
  .strict();
export type ObjectTypeDefinition = z.infer<typeof objectTypeSchema>;


export const reactionHandlerSchema = z.enum([
  'addFocus',
  'deleteFocus',
  'inactivateFocus',
  'link',
  'unlink',
  'deleteShadow',
  'inactivateShadow',
  'synchronize',
]);
export type ReactionHandler = z.infer<typeof reactionHandlerSchema>;

export const reactionActionSchema = z
  .object({ handler: reactionHandlerSchema, objectTemplateRef: objectRefSchema.optional() })
  .strict();
export type ReactionAction = z.infer<typeof reactionActionSchema>;

export const reactionSchema = z
  .object({
    situation: situationSchema,
    channel: oneOrMany(channelSchema).optional(),
    synchronize: z.boolean().optional(),
    action: oneOrMany(reactionActionSchema).default([]),
  })
  .strict();
export type Reaction = z.infer<typeof reactionSchema>;

/** A correlation query: `equal` of a user property and an expression over the account, combinable with `and`. */
export type CorrelationQuery =
  | { equal: { path: string; expression: Expression; matching?: MatchingRuleName } }
  | { and: CorrelationQuery[] }
  | { or: CorrelationQuery[] };
export const correlationQuerySchema: z.ZodType<CorrelationQuery> = z.lazy(() =>
  z.union([
    z
      .object({
        // `matching` as midPoint's query writes it; without it, the matching rule of the attribute the expression reads.
        equal: z.object({ path: z.string().min(1), expression: expressionSchema, matching: matchingRuleSchema.optional() }).strict(),
      })
      .strict(),
    z.object({ and: z.array(correlationQuerySchema).min(1) }).strict(),
    z.object({ or: z.array(correlationQuerySchema).min(1) }).strict(),
  ]),
) as z.ZodType<CorrelationQuery>;

export const synchronizationSchema = z
  .object({
    kind: z.enum(['account', 'entitlement', 'generic']).default('account'),
    intent: z.string().default('default'),
    correlation: correlationQuerySchema.optional(),
    /** Second round of filtering of correlation candidates: a script over `user` and `account`, true keeps a candidate. */
    confirmation: expressionSchema.optional(),
    objectTemplateRef: objectRefSchema.optional(),
    reaction: oneOrMany(reactionSchema).default([]),
  })
  .strict();
export type SynchronizationPolicy = z.infer<typeof synchronizationSchema>;

const cronFields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Why a cron expression is wrong (naming the field), or null when it is a valid one. */
export function cronProblem(cron: string): string | null {
  const text = cron.trim();
  if (/^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(text)) return null;
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return `expected five fields (minute hour day-of-month month day-of-week), such as "0 2 * * *", got ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const field = cronFields[i];
    const number = (token: string): number | null => {
      const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
      if (named >= 0) return field.name === 'month' ? named + 1 : named;
      return /^\d+$/.test(token) ? Number(token) : null;
    };
    for (const item of part.split(',')) {
      const m = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(\d+))?$/.exec(item);
      if (!m || (m[2] !== undefined && Number(m[2]) < 1)) return `${field.name}: '${item}' is not a value, a range or a step`;
      if (m[1] === '*') continue;
      for (const token of m[1].split('-')) {
        const n = number(token);
        if (n === null || n < field.min || n > field.max) return `${field.name}: '${token}' is not between ${field.min} and ${field.max}`;
      }
    }
  }
  return null;
}

/** A cron expression of five fields (minute hour day-of-month month day-of-week) or a macro such as @daily, as Temporal Schedules take it. */
export const cronSchema = z.string().superRefine((cron, ctx) => {
  const problem = cronProblem(cron);
  if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron "${cron}": ${problem}` });
});

export const reconciliationSettingsSchema = z
  .object({
    /** Runs a reconciliation of the resource on this cron schedule (a Temporal Schedule `tally apply` keeps). */
    schedule: cronSchema.optional(),
    /** Objects read from the resource per page. @default 1000 */
    pageSize: z.number().int().min(1).max(5000).optional(),
    /** Splits each run into this many buckets (by hash of the primary identifier), worked by child workflows. @default 1 */
    buckets: z.number().int().min(1).max(64).optional(),
  })
  .strict();
export type ReconciliationSettings = z.infer<typeof reconciliationSettingsSchema>;

export const liveSyncSettingsSchema = z
  .object({
    /** How long live sync waits between polls when the changelog had nothing more. @default 1s */
    interval: durationSchema.optional(),
    /** Changes read per poll at most. @default 1000 */
    batchSize: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();
export type LiveSyncSettings = z.infer<typeof liveSyncSettingsSchema>;

/**
 * The resource's schema as declared, instead of read from the resource at `tally apply`: which
 * attributes an object of each object class can have (superclasses' and auxiliary classes' included).
 */
export const declaredSchemaSchema = z
  .object({
    objectClass: oneOrMany(z.object({ name: z.string().min(1), attribute: z.array(z.string().min(1)).min(1) }).strict()).refine((l) => l.length > 0, {
      message: 'expected at least one object class: { name, attribute: [...] }',
    }),
  })
  .strict();
export type DeclaredSchema = z.infer<typeof declaredSchemaSchema>;


export const resourceSchema = z
  .object({
    kind: z.literal('Resource'),
    oid: z.string().min(1).optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    connector: connectorConfigSchema,
    /** Declared: `tally apply` checks attribute names against it instead of reading the resource's schema. */
    schema: declaredSchemaSchema.optional(),
    consistency: z
      .object({
        retry: retryPolicySchema.default(retryPolicySchema.parse({})),
        /** How often a waiting operation's resource is tested, so it is noticed coming back before the backoff ends. */
        livenessCheckInterval: durationSchema.default('15s'),
        /** relative: accounts are removed only when the assignment that required them is removed. */
        assignmentPolicyEnforcement: z.enum(['none', 'relative', 'full']).default('relative'),
        /** Shadows of accounts gone from the resource (no owner, nothing pending) are kept this long, then reconciliation removes them. */
        deadShadowRetention: durationSchema.default('7d'),
        failedChange: failedChangeSchema.default(failedChangeSchema.parse({})),
      })
      .strict()
      .default({
        retry: retryPolicySchema.parse({}),
        livenessCheckInterval: '15s',
        assignmentPolicyEnforcement: 'relative',
        deadShadowRetention: '7d',
        failedChange: failedChangeSchema.parse({}),
      }),
    schemaHandling: z
      .object({
        objectType: oneOrMany(objectTypeSchema).optional(),
        /** The seeds' name for objectType. */
        accountType: oneOrMany(objectTypeSchema).optional(),
      })
      .strict()
      .transform((s) => ({ objectType: [...(s.objectType ?? []), ...(s.accountType ?? [])] })),
    synchronization: oneOrMany(synchronizationSchema).default([]),
    /** Whole-resource reconciliation: when it runs by itself, and how it reads the resource. */
    reconciliation: reconciliationSettingsSchema.optional(),
    /** Live synchronization from the resource's changelog: `tally apply` starts it, and stops it when this goes. */
    liveSync: liveSyncSettingsSchema.optional(),
    /** Thresholds that hold a run (or live sync) that would delete, disable or modify too many accounts. */
    safety: safetySchema.prefault({}),
  })
  .strict();
export type ResourceConfig = z.infer<typeof resourceSchema>;

// ---- templates, roles, users --------------------------------------------------------------

export const objectTemplateSchema = z
  .object({
    kind: z.literal('ObjectTemplate'),
    oid: z.string().min(1).optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    /** The template of every user without a templateRef of his own (at most one template is the default). */
    default: z.boolean().optional(),
    mapping: oneOrMany(templateMappingSchema).default([]),
  })
  .strict();
export type ObjectTemplateConfig = z.infer<typeof objectTemplateSchema>;


export const inducementSchema = z
  .object({
    construction: accountConstructionSchema.optional(),
    accountConstruction: accountConstructionSchema.optional(),
    /** Another role this role includes. */
    targetRef: objectRefSchema.optional(),
    focusMappings: z.object({ mapping: oneOrMany(templateMappingSchema).default([]) }).strict().optional(),
  })
  .strict()
  .refine(
    (i) => [i.construction, i.accountConstruction, i.targetRef, i.focusMappings].filter(Boolean).length === 1,
    { message: 'an inducement needs exactly one of construction, targetRef or focusMappings' },
  )
  .transform((i) => ({
    construction: i.construction ?? i.accountConstruction,
    targetRef: i.targetRef,
    focusMappings: i.focusMappings,
  }));
export type Inducement = z.infer<typeof inducementSchema>;

export const roleSchema = z
  .object({
    kind: z.literal('Role'),
    oid: z.string().min(1).optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    inducement: oneOrMany(inducementSchema).default([]),
    /**
     * The role's own assignments: a construction of kind entitlement projects the role to its own
     * entitlement (an LDAP group), as a user's construction gives him an account.
     */
    assignment: oneOrMany(assignmentSchema).optional(),
  })
  .strict();
export type RoleConfig = z.infer<typeof roleSchema>;


export const activationSchema = z
  .object({
    administrativeStatus: z.enum(['enabled', 'disabled', 'archived']).optional(),
    validFrom: z.string().refine(isDateTime, dateTimeRule).optional(),
    validTo: z.string().refine(isDateTime, dateTimeRule).optional(),
  })
  .strict();
export type Activation = z.infer<typeof activationSchema>;

/** A multi-valued text property: one value or a list. */
const textValues = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string()));

export const userConfigSchema = z
  .object({
    kind: z.literal('User'),
    oid: z.string().min(1).optional(),
    name: z.string().min(1),
    fullName: z.string().optional(),
    givenName: z.string().optional(),
    familyName: z.string().optional(),
    emailAddress: z.string().optional(),
    telephoneNumber: z.string().optional(),
    title: z.string().optional(),
    locality: z.string().optional(),
    employeeNumber: z.string().optional(),
    employeeType: textValues.optional(),
    organization: textValues.optional(),
    organizationalUnit: textValues.optional(),
    extension: z.record(z.string(), z.unknown()).optional(),
    activation: activationSchema.optional(),
    credentials: z.object({ password: secretRefSchema.optional() }).strict().optional(),
    assignment: oneOrMany(assignmentSchema).default([]),
    /** The object template this user is kept consistent with (oid or name); absent: the default template. */
    templateRef: objectRefSchema.optional(),
  })
  .strict();
export type UserConfig = z.infer<typeof userConfigSchema>;

export const configObjectSchema = z.discriminatedUnion('kind', [
  resourceSchema,
  objectTemplateSchema,
  roleSchema,
  userConfigSchema,
]);
export type ConfigObject = z.infer<typeof configObjectSchema>;
