/** Reads the directory's subschema entry (`cn=Subschema` on OpenLDAP): its object classes and attribute types. */
import type { Client } from 'ldapts';
import { entryAttribute } from './ldap-entries';

export interface Subschema {
  objectClasses: string[];
  attributeTypes: string[];
}

export async function readSubschema(c: Client): Promise<Subschema> {
  const root = await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['subschemaSubentry'] });
  const subschema = root.searchEntries[0] ? entryAttribute(root.searchEntries[0], 'subschemaSubentry')[0] : undefined;
  const { searchEntries } = await c.search(subschema ?? 'cn=Subschema', {
    scope: 'base',
    filter: '(objectClass=subschema)',
    attributes: ['objectClasses', 'attributeTypes'],
  });
  const entry = searchEntries[0];
  return { objectClasses: entry ? entryAttribute(entry, 'objectClasses') : [], attributeTypes: entry ? entryAttribute(entry, 'attributeTypes') : [] };
}
