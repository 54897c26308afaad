import type { ExampleResources } from './example-resources';
import { withLdapAdmin } from './ldap-admin';
import type { TallyHarness } from './tally-harness';
import { collectionNames } from '../../src/repository/documents';

/** A simulation's own collections: the one thing a simulation writes. */
export const SIMULATION_COLLECTIONS = [collectionNames.simulations, collectionNames.simulationItems, collectionNames.simulationSeen];

/**
 * Everything a run or an apply could write, to compare before and after a simulation: the accesslog
 * entries of the test's LDAP container, its table's rows, every repository collection but the simulation's.
 */
export async function writtenState(tally: TallyHarness, resources: Pick<ExampleResources, 'base' | 'table' | 'pg'>) {
  const accesslog = await withLdapAdmin(tally.stack, async (c) => {
    const { searchEntries } = await c.search(tally.stack.ldap.accesslogBase, {
      scope: 'one',
      filter: `(&(objectClass=auditWriteObject)(reqDN:dnSubtreeMatch:=${resources.base}))`,
      attributes: ['reqType', 'reqDN', 'entryCSN'],
    });
    return searchEntries.length;
  });
  const rows = (await resources.pg.query(`SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS hash, count(*) AS n FROM ${resources.table} t`)).rows[0];
  const repository = await tally.inspect.fingerprints(SIMULATION_COLLECTIONS);
  return { accesslog, rows, repository };
}
