/** A SCIM resource in `tally apply` files: its example loads; live sync and a group membership list other than members are refused. */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadConfigFiles } from '../../../src/config/load-config';
import { problemLines, writeConfigDir } from './helpers';

const example = readFileSync(join(__dirname, '../../../examples/scim-app/scim-app.yaml'), 'utf8');

describe('a SCIM resource', () => {
  it('loads as the example has it: Users and their Groups, reconciled on a schedule', () => {
    const { objects } = loadConfigFiles([join(__dirname, '../../../examples/scim-app/scim-app.yaml')]);
    const resource = objects[0].object;
    if (resource.kind !== 'Resource' || resource.connector.type !== 'scim') throw new Error('no SCIM resource');
    expect(resource.connector).toEqual({ type: 'scim', baseUrl: 'https://app.example.com/scim/v2', token: { env: 'TALLY_SCIM_TOKEN' }, deprovision: 'delete', pageSize: 100, enterpriseExtension: true, timeout: '10s' });
    expect(resource.schemaHandling.objectType[0].association?.[0]).toMatchObject({ ref: 'ri:group', associationAttribute: 'members', valueAttribute: 'id' });
    expect(resource.reconciliation?.schedule).toBe('*/15 * * * *');
    expect(objects[1].object).toMatchObject({ kind: 'Role', name: 'SaaS user' });
  });

  it('refuses live sync, saying SCIM has no changelog and to schedule a reconciliation; memberships held elsewhere than members; LDAP delineation', () => {
    const content = example
      .replace('reconciliation: { schedule: "*/15 * * * *" }', 'liveSync: { interval: 5s }')
      .replace('associationAttribute: members', 'associationAttribute: member')
      .replace('      objectClass: Group\n', '      objectClass: Group\n      baseContext: ou=groups\n');
    const dir = writeConfigDir({ 'scim.yaml': content });
    const line = (text: string) => content.split('\n').findIndex((l) => l.includes(text)) + 1;
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'scim.yaml')}:${line('associationAttribute: member')}: schemaHandling.objectType[0].association[0].associationAttribute: a SCIM Group lists its members in \`members\`: expected associationAttribute: members`,
      `${join(dir, 'scim.yaml')}:${line('baseContext')}: schemaHandling.objectType[1].baseContext: baseContext is an LDAP setting; a SCIM resource's object types are its Users (objectClass: User) and Groups (objectClass: Group)`,
      `${join(dir, 'scim.yaml')}:${line('liveSync:')}: liveSync: SaaS app is a SCIM service, and SCIM has no changelog: live sync has nothing to read. Schedule a reconciliation instead (reconciliation: { schedule: "*/15 * * * *" } on the resource), or run one: tally reconcile "SaaS app"`,
    ]);
  });
});
