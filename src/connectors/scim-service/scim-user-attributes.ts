/**
 * A pushed SCIM User as the account attributes a resource's mappings use: SCIM's attribute paths
 * (`userName`, `name.givenName`, `emails` for the emails' values, `active`), the enterprise extension's
 * attributes by their own names (`employeeNumber`, `department`, `manager` for the manager's id) and
 * `groups`, the display names of the groups that have the user as a member.
 */
import type { Attributes, AttributeValue, ResourceObject } from '../../schema/objects';
import { SCIM_SCHEMAS, type ScimJson, type StoredScimObject } from '../../schema/scim';

export const SCIM_USER_OBJECT_CLASS = 'User';

const SIMPLE = ['userName', 'externalId', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'] as const;
const NAME_PARTS = ['formatted', 'givenName', 'familyName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const MULTI_VALUED = ['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles'] as const;
const ENTERPRISE = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

export const SCIM_USER_ATTRIBUTES: readonly string[] = [
  ...SIMPLE,
  ...NAME_PARTS.map((p) => `name.${p}`),
  'active',
  ...MULTI_VALUED,
  ...ENTERPRISE,
  'manager',
  'groups',
];

const isValue = (v: unknown): v is AttributeValue => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const record = (v: unknown): ScimJson => (v && typeof v === 'object' && !Array.isArray(v) ? (v as ScimJson) : {});

/** The values of a multi-valued attribute: each item's `value`, the primary one first. */
function valuesOf(items: unknown): AttributeValue[] {
  if (!Array.isArray(items)) return [];
  const sorted = [...items].sort((a, b) => Number(record(b).primary === true) - Number(record(a).primary === true));
  return sorted.map((item) => (isValue(item) ? item : record(item).value)).filter(isValue);
}

export function userAttributes(user: ScimJson, groups: readonly StoredScimObject[]): Attributes {
  const attributes: Attributes = {};
  const put = (name: string, value: unknown) => {
    if (isValue(value) && value !== '') attributes[name] = [value];
  };
  for (const name of SIMPLE) put(name, user[name]);
  for (const part of NAME_PARTS) put(`name.${part}`, record(user.name)[part]);
  // A user pushed without `active` is active (what Entra and Okta mean by leaving it out).
  attributes.active = [user.active !== false && user.active !== 'false'];
  for (const name of MULTI_VALUED) {
    const values = valuesOf(user[name]);
    if (values.length > 0) attributes[name] = values;
  }
  const enterprise = record(user[SCIM_SCHEMAS.enterpriseUser]);
  for (const name of ENTERPRISE) put(name, enterprise[name]);
  put('manager', record(enterprise.manager).value);
  const groupNames = groups.map((g) => g.resource.displayName).filter(isValue);
  if (groupNames.length > 0) attributes.groups = groupNames;
  return attributes;
}

export function userObject(user: StoredScimObject, groups: readonly StoredScimObject[]): ResourceObject {
  return { primaryIdentifier: user.id, secondaryIdentifier: String(user.resource.userName), objectClass: SCIM_USER_OBJECT_CLASS, attributes: userAttributes(user.resource, groups) };
}
