import { project } from '../../../src/model/projector';
import { passwordToGenerate } from '../../../src/model/credentials';
import { resourceSchema, type ResourceConfig } from '../../../src/schema/config';
import { account, AD_OID, jack, JACK_AD_SHADOW, makeShadow } from './fixtures';

const SEALED = 'enc:v1:c2VhbGVk';

function sqlResource(password: Record<string, unknown>): ResourceConfig {
  return resourceSchema.parse({
    kind: 'Resource',
    oid: AD_OID,
    name: 'MyLittleAD',
    connector: { type: 'postgres', table: 'accounts', passwordColumn: 'password_hash' },
    schemaHandling: {
      objectType: {
        default: true,
        objectClass: 'accounts',
        attribute: [{ ref: 'icfs:name', outbound: { source: { path: '$user/name' } } }, { ref: 'icfs:uid', access: 'read' }],
        credentials: { password: { attribute: 'password_hash', ...password } },
      },
    },
  });
}

describe('password outbound (asIs)', () => {
  const assignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account' as const, intent: 'default', attribute: [] } };
  const user = jack({ linkRef: [], assignment: [assignment], credentials: { password: { encrypted: SEALED } } });
  const shadow = makeShadow({ oid: JACK_AD_SHADOW, resourceRef: AD_OID, secondaryIdentifier: 'jack' });
  const existing = (resource: ResourceConfig, changedUserPaths?: string[]) =>
    project({ user, changedUserPaths, roles: [], resources: [resource], accounts: [{ shadow, current: account('jack', {}) }] }).accounts[0]!;

  it('gives a new account the sealed password', () => {
    const plan = project({ user, roles: [], resources: [sqlResource({ outbound: { strength: 'weak' } })], accounts: [] }).accounts[0]!;
    expect(plan).toMatchObject({ action: 'add', attributes: { password_hash: [SEALED] } });
  });

  it('writes it to an existing account when the password changed (normal), also on reconciliation (strong), never again (weak)', () => {
    expect(existing(sqlResource({ outbound: {} }), ['credentials'])).toMatchObject({ action: 'modify', deltas: [{ path: 'password_hash', replace: [SEALED] }] });
    expect(existing(sqlResource({ outbound: {} }), ['fullName']).action).toBe('keep');
    expect(existing(sqlResource({ outbound: {} }), undefined).action).toBe('keep');
    expect(existing(sqlResource({ outbound: { strength: 'strong' } }), undefined)).toMatchObject({ deltas: [{ path: 'password_hash', replace: [SEALED] }] });
    expect(existing(sqlResource({ outbound: { strength: 'weak' } }), ['credentials']).action).toBe('keep');
  });

  it('generates only for users without a password, by the policy given or the default one', () => {
    const generating = sqlResource({ inbound: { expression: { generate: {} } }, valuePolicy: { minLength: 20 } }).schemaHandling.objectType[0]!;
    expect(passwordToGenerate(generating, null)).toMatchObject({ minLength: 20, minDigits: 1 });
    expect(passwordToGenerate(generating, user)).toBeUndefined();
    const defaults = sqlResource({ inbound: { expression: { generate: {} } } }).schemaHandling.objectType[0]!;
    expect(passwordToGenerate(defaults, null)).toMatchObject({ minLength: 12 });
    expect(resourceSchema.safeParse({ ...sqlResource({}), schemaHandling: { objectType: { objectClass: 'a', credentials: { password: { attribute: 'p', inbound: { strength: 'strong', expression: { generate: {} } } } } } } }).success).toBe(false);
  });
});
