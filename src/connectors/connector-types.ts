/**
 * The one interface every connector implements. Connectors know resource objects and attributes,
 * nothing about users, mappings or shadows.
 */
import type { AttributeDelta, Attributes, ResourceObject } from '../schema/objects';

/** The delta path of a modify that renames the object: its one value is the new secondary identifier (icfs:name). */
export const NAME_PATH = '__NAME__';

export interface SearchPage {
  objects: ResourceObject[];
  /** Opaque cursor for the next page; undefined when this was the last page. */
  cursor?: string;
}

/** One change read from the resource's changelog. */
export interface ConnectorChange {
  changeType: 'add' | 'modify' | 'delete';
  primaryIdentifier?: string;
  secondaryIdentifier?: string;
  /** For renames: the new secondary identifier. */
  newSecondaryIdentifier?: string;
  attributeDeltas?: AttributeDelta[];
  /** Position of this change; passing it back to changesSince returns what came after it. */
  token: string;
}

export interface ChangesPage {
  changes: ConnectorChange[];
  /** Position to continue from (the last change's token, or the input token if nothing new). */
  token: string;
  /**
   * The changelog no longer holds the given token (purged): changes after it may be lost, so only a
   * reconciliation can tell what happened. `token` is then the changelog's current end.
   */
  expired?: boolean;
}

export interface Connector {
  /** Resolves when the resource answers and the credentials work; otherwise throws a ConnectorError. */
  testConnection(): Promise<void>;
  /** What the resource says of itself (SCIM's discovery endpoints), a line per check, for `tally resource test`. */
  describeService?(): Promise<Array<{ check: string; message: string }>>;
  /** Attribute names the resource object class offers (for validation and UI). */
  schema(): Promise<{ objectClass: string; attributes: string[] }>;
  /**
   * The attributes an object of these object classes can have (LDAP: from the directory's subschema,
   * superclasses and operational attributes included, under every name; PostgreSQL: the table's columns,
   * whatever the classes). `unknownClasses`: those the resource's schema doesn't have.
   */
  attributesOf(objectClasses: readonly string[]): Promise<{ attributes: string[]; unknownClasses: string[] }>;
  /**
   * Whether something of any type holds this name (LDAP: an entry of another object class has the DN), where
   * `get` finds only objects of the connector's type. Connectors whose objects are all of one type leave it out.
   */
  nameTaken?(secondaryIdentifier: string): Promise<boolean>;
  /** Throws ConnectorError kind not-found when there is no such object. */
  get(identifiers: { primaryIdentifier?: string; secondaryIdentifier?: string }, attributesToGet?: string[]): Promise<ResourceObject>;
  /**
   * The objects with these primary identifiers, in one request (an LDAP search for any of them, a PostgreSQL
   * SELECT ... = ANY); those not found are left out. Connectors that can't leave it out, and callers get one
   * at a time.
   */
  getMany?(primaryIdentifiers: readonly string[], attributesToGet?: string[]): Promise<ResourceObject[]>;
  search(options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage>;
  /** Creates an object named by secondaryIdentifier; returns it as stored, with its primary identifier. */
  create(secondaryIdentifier: string, attributes: Attributes): Promise<ResourceObject>;
  /**
   * Creates several objects in one request, all or none (a PostgreSQL multi-row INSERT); returns them as
   * stored, in order. Connectors that can't leave it out, and callers create one at a time.
   */
  createMany?(objects: ReadonlyArray<{ secondaryIdentifier: string; attributes: Attributes }>): Promise<ResourceObject[]>;
  /** Applies attribute deltas; returns the new secondary identifier if it changed. */
  modify(primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject>;
  /**
   * Several objects' modifications in as few requests as the resource allows (PostgreSQL: one UPDATE for the
   * rows given the same columns whole); returns each object as stored, in order, or null for one that isn't
   * there. Connectors that can't leave it out, and callers modify one at a time.
   */
  modifyMany?(modifications: ReadonlyArray<{ primaryIdentifier: string; deltas: AttributeDelta[] }>): Promise<Array<ResourceObject | null>>;
  delete(primaryIdentifier: string): Promise<void>;
  /** The current end of the changelog, to start live sync from "now". */
  latestToken(): Promise<string>;
  /** Changes after token, oldest first. Throws ConnectorError kind 'configuration' if unsupported. */
  changesSince(token: string, limit?: number): Promise<ChangesPage>;
  close(): Promise<void>;
}

/** The connector's operations that go to the resource, by name (what wrappers measure, count or bind). */
export const CONNECTOR_OPERATIONS = [
  'testConnection',
  'describeService',
  'schema',
  'attributesOf',
  'nameTaken',
  'get',
  'getMany',
  'search',
  'create',
  'createMany',
  'modify',
  'modifyMany',
  'delete',
  'latestToken',
  'changesSince',
] as const satisfies ReadonlyArray<keyof Connector>;
