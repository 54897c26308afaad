/** SCIM 2.0's names (RFC 7643/7644) and the shapes the connector exchanges with a service. */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The object classes of a SCIM resource: its Users are the accounts, its Groups the entitlements. */
export const USER_CLASS = 'User';
export const GROUP_CLASS = 'Group';

/** A User or Group as the service gives it (JSON). */
export type ScimResource = Record<string, unknown> & { id?: string; meta?: { version?: string } };

export interface ScimListResponse {
  totalResults?: number;
  startIndex?: number;
  itemsPerPage?: number;
  /** The next page's cursor, where the service pages by cursor (RFC 9865). */
  nextCursor?: string;
  Resources?: ScimResource[];
}

/** One operation of a PATCH request (RFC 7644 §3.5.2). */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** An association of the account type: the Groups whose members[].value holds the account's id. */
export interface ScimAssociation {
  /** The pseudo-attribute it is carried in (`association/group`); its values are the Groups' displayNames. */
  attribute: string;
  /** Membership follows the account: it leaves its groups before it is deleted. */
  referentialIntegrity: boolean;
}
