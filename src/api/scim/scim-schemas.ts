/**
 * The schemas Tally's SCIM service provider serves (RFC 7643 sections 4 and 8.7): User with the enterprise
 * extension, and Group. They are what `/Schemas` publishes, and what PATCH and filters go by (which
 * attributes hold several values, their names' letter case).
 */
import { SCIM_SCHEMAS } from '../../schema/scim';

export interface ScimAttribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer';
  description: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'never' | 'default' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  referenceTypes?: string[];
  subAttributes?: ScimAttribute[];
}

export interface ScimSchema {
  id: string;
  name: string;
  description: string;
  attributes: ScimAttribute[];
}

const text = (name: string, description: string, more: Partial<ScimAttribute> = {}): ScimAttribute => ({ name, type: 'string', description, ...more });

/** A multi-valued complex attribute of `value`, `display`, `type` and `primary` (emails, phone numbers). */
const valuesOf = (name: string, description: string, types: string[]): ScimAttribute => ({
  name,
  type: 'complex',
  multiValued: true,
  description,
  subAttributes: [
    text('value', `the ${description}`),
    text('display', 'a human-readable name'),
    text('type', `its kind: ${types.join(', ')}`),
    { name: 'primary', type: 'boolean', description: 'the preferred one' },
  ],
});

export const userSchema: ScimSchema = {
  id: SCIM_SCHEMAS.user,
  name: 'User',
  description: 'A person who signs in: an account of the resource services push users to',
  attributes: [
    text('userName', 'the unique identifier people sign in with; the account name', { required: true, uniqueness: 'server' }),
    {
      name: 'name',
      type: 'complex',
      description: "the parts of the person's name",
      subAttributes: [
        text('formatted', 'the full name, formatted for display'),
        text('familyName', 'the family name'),
        text('givenName', 'the given name'),
        text('middleName', 'the middle name'),
        text('honorificPrefix', 'a title before the name (Ms.)'),
        text('honorificSuffix', 'a suffix after the name (III)'),
      ],
    },
    text('displayName', 'the name shown for the user'),
    text('nickName', 'the casual name'),
    { name: 'profileUrl', type: 'reference', referenceTypes: ['external'], description: "the user's online profile" },
    text('title', 'the job title'),
    text('userType', 'the relation to the organization (Employee, Contractor)'),
    text('preferredLanguage', 'the preferred language (en-US)'),
    text('locale', 'the default locale (en-US)'),
    text('timezone', 'the time zone (America/Los_Angeles)'),
    { name: 'active', type: 'boolean', description: 'whether the user may sign in: false disables his accounts' },
    valuesOf('emails', 'email address', ['work', 'home', 'other']),
    valuesOf('phoneNumbers', 'phone number', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  ],
};

export const enterpriseUserSchema: ScimSchema = {
  id: SCIM_SCHEMAS.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise user',
  attributes: [
    text('employeeNumber', 'the personnel number'),
    text('costCenter', 'the cost center'),
    text('organization', 'the organization'),
    text('division', 'the division'),
    text('department', 'the department'),
    {
      name: 'manager',
      type: 'complex',
      description: "the user's manager",
      subAttributes: [
        text('value', "the manager's id"),
        { name: '$ref', type: 'reference', referenceTypes: ['User'], description: "the manager's URI" },
        text('displayName', "the manager's display name", { mutability: 'readOnly' }),
      ],
    },
  ],
};

export const groupSchema: ScimSchema = {
  id: SCIM_SCHEMAS.group,
  name: 'Group',
  description: 'A group of users',
  attributes: [
    text('displayName', 'the name of the group', { required: true }),
    {
      name: 'members',
      type: 'complex',
      multiValued: true,
      description: 'the members of the group',
      subAttributes: [
        text('value', "the member's id", { mutability: 'immutable' }),
        { name: '$ref', type: 'reference', referenceTypes: ['User', 'Group'], description: "the member's URI", mutability: 'immutable' },
        text('display', "the member's display name", { mutability: 'immutable' }),
        text('type', 'User or Group', { mutability: 'immutable' }),
      ],
    },
  ],
};

export const scimSchemas: readonly ScimSchema[] = [userSchema, enterpriseUserSchema, groupSchema];

/** The schema's attributes as /Schemas publishes them: every characteristic given. */
function published(attribute: ScimAttribute): Record<string, unknown> {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued ?? false,
    description: attribute.description,
    required: attribute.required ?? false,
    caseExact: attribute.caseExact ?? false,
    mutability: attribute.mutability ?? 'readWrite',
    returned: attribute.returned ?? 'default',
    uniqueness: attribute.uniqueness ?? 'none',
    ...(attribute.referenceTypes ? { referenceTypes: attribute.referenceTypes } : {}),
    ...(attribute.subAttributes ? { subAttributes: attribute.subAttributes.map(published) } : {}),
  };
}

export function publishedSchema(schema: ScimSchema, base: string): Record<string, unknown> {
  return {
    schemas: [SCIM_SCHEMAS.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(published),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${schema.id}` },
  };
}

export const resourceTypeSchemas = {
  User: { schema: userSchema, extensions: [enterpriseUserSchema] },
  Group: { schema: groupSchema, extensions: [] as ScimSchema[] },
} as const;

/** An attribute by its name in any letter case, among a schema's (or a complex attribute's sub-attributes). */
export function attributeNamed(attributes: readonly ScimAttribute[] | undefined, name: string): ScimAttribute | undefined {
  return attributes?.find((a) => a.name.toLowerCase() === name.toLowerCase());
}
