import { accountStatus, activationInbound, computeActivation, nextValidityBoundary, withComputedActivation } from '../../../src/model/activation';
import { project } from '../../../src/model/projector';
import { resourceSchema, type ResourceConfig } from '../../../src/schema/config';
import { account, AD_OID, jack, JACK_AD_SHADOW, makeShadow } from './fixtures';

const NOW = '2026-06-01T12:00:00.000Z';

describe('effective status', () => {
  it('is enabled without activation, and the administrative status when one is set', () => {
    expect(computeActivation(undefined, NOW)).toEqual({ effectiveStatus: 'enabled' });
    expect(computeActivation({ administrativeStatus: 'disabled' }, NOW)).toEqual({ effectiveStatus: 'disabled' });
    expect(computeActivation({ administrativeStatus: 'archived' }, NOW)).toEqual({ effectiveStatus: 'archived' });
  });

  it('follows validity when no administrative status is set', () => {
    expect(computeActivation({ validFrom: '2026-07-01T00:00:00Z' }, NOW)).toEqual({ effectiveStatus: 'disabled', validityStatus: 'before' });
    expect(computeActivation({ validFrom: '2026-05-01T00:00:00Z', validTo: '2026-07-01T00:00:00Z' }, NOW)).toEqual({ effectiveStatus: 'enabled', validityStatus: 'in' });
    expect(computeActivation({ validTo: NOW }, NOW)).toEqual({ effectiveStatus: 'disabled', validityStatus: 'after' });
  });

  it('lets an administrative status override validity (as midPoint does)', () => {
    expect(computeActivation({ administrativeStatus: 'enabled', validTo: '2026-01-01T00:00:00Z' }, NOW)).toEqual({ effectiveStatus: 'enabled', validityStatus: 'after' });
    expect(computeActivation({ administrativeStatus: 'disabled', validFrom: '2026-01-01T00:00:00Z' }, NOW)).toEqual({ effectiveStatus: 'disabled', validityStatus: 'in' });
  });

  it('is stored only for users who set some of their activation', () => {
    expect(withComputedActivation(jack(), NOW).activation).toBeUndefined();
    expect(withComputedActivation(jack({ activation: { effectiveStatus: 'disabled' } }), NOW).activation).toBeUndefined();
    expect(withComputedActivation(jack({ activation: { validTo: '2026-01-01T00:00:00Z' } }), NOW).activation).toEqual({
      validTo: '2026-01-01T00:00:00Z',
      effectiveStatus: 'disabled',
      validityStatus: 'after',
    });
  });

  it('names the next validity boundary ahead', () => {
    const activation = { validFrom: '2026-07-01T00:00:00Z', validTo: '2026-08-01T00:00:00+02:00' };
    expect(nextValidityBoundary(activation, NOW)).toBe('2026-07-01T00:00:00Z');
    expect(nextValidityBoundary(activation, '2026-07-01T00:00:00Z')).toBe('2026-08-01T00:00:00+02:00');
    expect(nextValidityBoundary(activation, '2026-09-01T00:00:00Z')).toBeUndefined();
    expect(nextValidityBoundary(undefined, NOW)).toBeUndefined();
  });
});

function sqlResource(status: Record<string, unknown>): ResourceConfig {
  return resourceSchema.parse({
    kind: 'Resource',
    oid: AD_OID,
    name: 'MyLittleAD',
    connector: { type: 'postgres', table: 'accounts' },
    schemaHandling: {
      objectType: {
        default: true,
        objectClass: 'accounts',
        attribute: [{ ref: 'icfs:name', outbound: { source: { path: '$user/name' } } }, { ref: 'icfs:uid', access: 'read' }],
        activation: { administrativeStatus: { attribute: 'enabled', enabledValue: true, disabledValue: false, ...status } },
      },
    },
  });
}

describe('administrative status on the account', () => {
  const assignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account' as const, intent: 'default', attribute: [] } };
  const shadow = makeShadow({ oid: JACK_AD_SHADOW, resourceRef: AD_OID, secondaryIdentifier: 'jack', ownerRef: 'jack' });

  it('creates the account with the user effective status', () => {
    const resource = sqlResource({ outbound: { strength: 'normal' } });
    const disabled = project({ user: jack({ linkRef: [], assignment: [assignment], activation: { administrativeStatus: 'disabled' } }), roles: [], resources: [resource], accounts: [], now: NOW });
    expect(disabled.accounts[0]).toMatchObject({ action: 'add', attributes: { enabled: [false] } });
    const expired = project({ user: jack({ linkRef: [], assignment: [assignment], activation: { validTo: '2026-01-01T00:00:00Z' } }), roles: [], resources: [resource], accounts: [], now: NOW });
    expect(expired.user.activation).toMatchObject({ effectiveStatus: 'disabled', validityStatus: 'after' });
    expect(expired.accounts[0]).toMatchObject({ action: 'add', attributes: { enabled: [false] } });
  });

  it('disables an existing account when the user is disabled, and leaves an agreeing one alone', () => {
    const resource = sqlResource({ outbound: { strength: 'normal' } });
    const user = jack({ assignment: [assignment], activation: { administrativeStatus: 'disabled', effectiveStatus: 'disabled' } });
    const accounts = (enabled: boolean) => [{ shadow, current: account('jack', { enabled: [enabled] }) }];
    const changed = project({ user, changedUserPaths: ['activation'], roles: [], resources: [resource], accounts: accounts(true), now: NOW });
    expect(changed.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'enabled', replace: [false] }] });
    expect(project({ user, changedUserPaths: ['activation'], roles: [], resources: [resource], accounts: accounts(false), now: NOW }).accounts[0]!.action).toBe('keep');
    // normal: another property's change does not touch the status
    expect(project({ user, changedUserPaths: ['fullName'], roles: [], resources: [resource], accounts: accounts(true), now: NOW }).accounts[0]!.action).toBe('keep');
  });

  it("disabling a user without validTo leaves an expiry mapped from his validTo as its script says (includeNullInputs), instead of clearing it", () => {
    const never = '9223372036854775807';
    const withExpiry = (script: Record<string, unknown>) => {
      const resource = sqlResource({ outbound: { strength: 'normal' } });
      resource.schemaHandling.objectType[0]!.attribute.push(
        ...resourceSchema.parse({
          kind: 'Resource', oid: AD_OID, name: 'x', connector: { type: 'postgres', table: 'accounts' },
          schemaHandling: { objectType: { objectClass: 'accounts', attribute: [{ ref: 'expires', outbound: { source: [{ path: '$user/activation/validTo' }], expression: { script } } }] } },
        }).schemaHandling.objectType[0]!.attribute,
      );
      return resource;
    };
    const user = jack({ assignment: [assignment], activation: { administrativeStatus: 'disabled', effectiveStatus: 'disabled' } });
    const accounts = [{ shadow, current: account('jack', { enabled: [true], expires: [never] }) }];
    const code = `validTo ? (validTo|fileTime) : '${never}'`;
    const disabled = project({ user, changedUserPaths: ['activation'], roles: [], resources: [withExpiry({ code, includeNullInputs: true })], accounts, now: NOW });
    expect(disabled.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'enabled', replace: [false] }] });
    // Without it the script gives no value and the normal mapping clears the attribute, as Tally's default says.
    const cleared = project({ user, changedUserPaths: ['activation'], roles: [], resources: [withExpiry({ code })], accounts, now: NOW });
    expect(cleared.accounts[0]!.deltas).toContainEqual({ path: 'expires', replace: [] });
  });

  it('strong reverts a status changed on the resource; the effective status change counts as an activation change', () => {
    const strong = sqlResource({ outbound: { strength: 'strong' } });
    const user = jack({ assignment: [assignment] });
    const plan = project({ user, changedUserPaths: ['fullName'], roles: [], resources: [strong], accounts: [{ shadow, current: account('jack', { enabled: [false] }) }], now: NOW });
    expect(plan.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'enabled', replace: [true] }] });

    const normal = sqlResource({ outbound: { strength: 'normal' } });
    const expired = jack({ assignment: [assignment], activation: { validTo: '2026-05-01T00:00:00Z', effectiveStatus: 'enabled', validityStatus: 'in' } });
    const passed = project({ user: expired, changedUserPaths: [], roles: [], resources: [normal], accounts: [{ shadow, current: account('jack', { enabled: [true] }) }], now: NOW });
    expect(passed.userDeltas).toEqual(expect.arrayContaining([{ path: 'activation/effectiveStatus', replace: ['disabled'] }]));
    expect(passed.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'enabled', replace: [false] }] });
  });

  it('without an enabled value, an enabled account has no value in the attribute', () => {
    const resource = sqlResource({ attribute: 'businessCategory', enabledValue: undefined, disabledValue: 'disabled', outbound: {} });
    const user = jack({ assignment: [assignment], activation: { administrativeStatus: 'enabled' } });
    const plan = project({ user, changedUserPaths: ['activation'], roles: [], resources: [resource], accounts: [{ shadow, current: account('jack', { businessCategory: ['disabled'] }) }], now: NOW });
    expect(plan.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'businessCategory', replace: [] }] });
  });

  it('reads the account status into the user by the inbound strength', () => {
    const weak = sqlResource({ inbound: { strength: 'weak' } }).schemaHandling.objectType[0]!;
    const normal = sqlResource({ inbound: {} }).schemaHandling.objectType[0]!;
    const off = account('jack', { enabled: [false] });
    expect(activationInbound(weak, off, null, undefined)).toEqual([{ path: 'activation/administrativeStatus', replace: ['disabled'] }]);
    expect(activationInbound(weak, off, jack({ activation: { administrativeStatus: 'enabled' } }), undefined)).toEqual([]);
    expect(activationInbound(normal, off, jack({ activation: { administrativeStatus: 'enabled' } }), ['enabled'])).toEqual([{ path: 'activation/administrativeStatus', replace: ['disabled'] }]);
    expect(activationInbound(normal, off, jack({ activation: { administrativeStatus: 'enabled' } }), ['cn'])).toEqual([]);
    expect(accountStatus({ attribute: 'x', disabledValue: 'DISABLED' }, ['disabled'])).toBe('disabled');
    expect(accountStatus({ attribute: 'x', disabledValue: false }, [true])).toBe('enabled');
  });
});
