/** Types and constants of the LDAP connector. */
export type { LdapConnectorConfig } from '../../schema/config';

/** The changelog token meaning "from the beginning" (accesslog empty or never read). */
export const LDAP_INITIAL_TOKEN = '0';

export { NAME_PATH } from '../connector-types';

/**
 * Operational attributes: maintained by the server, never part of `attributes` nor of changelog deltas.
 * Compared lower-cased.
 */
export const OPERATIONAL_ATTRIBUTES = new Set(
  [
    'entryUUID',
    'entryCSN',
    'entryDN',
    'structuralObjectClass',
    'creatorsName',
    'createTimestamp',
    'modifiersName',
    'modifyTimestamp',
    'hasSubordinates',
    'subschemaSubentry',
    'contextCSN',
    'pwdChangedTime',
    'pwdHistory',
    'pwdFailureTime',
    'pwdAccountLockedTime',
  ].map((a) => a.toLowerCase()),
);

/** Attributes whose values must never leave the connector (hashes, secrets). Compared lower-cased. */
export const SECRET_ATTRIBUTES = new Set(['userpassword', 'authpassword', 'sambantpassword', 'sambalmpassword']);

/** One accesslog record as read from the `auditWriteObject` entries. */
export interface AccesslogRecord {
  dn: string;
  entryCSN: string;
  reqType: string;
  reqDN: string;
  reqEntryUUID?: string;
  reqMod: string[];
  reqNewRDN?: string;
  reqDeleteOldRDN?: string;
  reqNewSuperior?: string;
  reqNewDN?: string;
  /** Who made the change: `dn:<bind DN>`. */
  reqAuthzID?: string;
}
