import { project, type ProjectionInput } from '../../../src/model/projector';
import type { Assignment } from '../../../src/schema/config';
import { account, AD_OID, adResourceWith, jack, JACK_AD_SHADOW, jackAdShadow, ldapResource, role } from './fixtures';

const adAssignment: Assignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account', intent: 'default', attribute: [] } };
const jackAd = (enabled: boolean) => account('cn=jack,o=Acme', { cn: ['Jack Sparrow'], enabled: [enabled] }, 'ad-jack-1');
const statusColumn = { attribute: 'enabled', enabledValue: true, disabledValue: false, outbound: { strength: 'normal' } };
const disabling = (enforcement: 'relative' | 'full' = 'relative') =>
  adResourceWith({ enforcement, activation: { administrativeStatus: statusColumn, deprovisioning: { action: 'disable', deleteAfter: '30d' } } });

const base = (overrides: Partial<ProjectionInput>): ProjectionInput => ({
  user: jack({ assignment: [] }),
  roles: [],
  resources: [ldapResource, disabling()],
  accounts: [],
  ...overrides,
});

describe('projector: an account no longer needed is disabled instead of deleted (deprovisioning.action: disable)', () => {
  test('unassigned (relative enforcement): kept linked, its status attribute set to disabled', () => {
    const projection = project(base({ removedAssignments: [adAssignment], accounts: [{ shadow: jackAdShadow, current: jackAd(true) }] }));
    expect(projection.accounts).toEqual([
      expect.objectContaining({
        action: 'modify',
        shadowOid: JACK_AD_SHADOW,
        deltas: [{ path: 'enabled', replace: [false] }],
        deprovisioning: 'disable',
        reason: 'unassigned: direct account assignment was removed and no other assignment requires this account: disabled instead of deleted',
      }),
    ]);
  });

  test('without the option the same unassignment deletes it (the default)', () => {
    const resources = [adResourceWith({ activation: { administrativeStatus: statusColumn } })];
    const projection = project(base({ resources, removedAssignments: [adAssignment], accounts: [{ shadow: jackAdShadow, current: jackAd(true) }] }));
    expect(projection.accounts).toEqual([expect.objectContaining({ action: 'delete', shadowOid: JACK_AD_SHADOW })]);
    expect(projection.accounts[0]!.deprovisioning).toBeUndefined();
  });

  test('full enforcement: an account without assignment is disabled, whatever the status mapping strength would allow', () => {
    const projection = project(base({ resources: [disabling('full')], accounts: [{ shadow: jackAdShadow, current: jackAd(true) }], changedUserPaths: ['fullName'] }));
    expect(projection.accounts).toEqual([expect.objectContaining({ action: 'modify', deltas: [{ path: 'enabled', replace: [false] }], deprovisioning: 'disable' })]);
  });

  test('already disabled: nothing to write, the plan still says disable (the shadow records it if it does not yet)', () => {
    const projection = project(base({ removedAssignments: [adAssignment], accounts: [{ shadow: jackAdShadow, current: jackAd(false) }] }));
    expect(projection.accounts).toEqual([expect.objectContaining({ action: 'keep', deprovisioning: 'disable' })]);
  });

  test('a deprovisioned account stays disabled at later recomputations (relative enforcement would keep it with the owner status)', () => {
    const shadow = { ...jackAdShadow, deprovisionedAt: '2026-01-01T00:00:00.000Z' };
    // An enabled value on the resource (changed there), recomputed with "what changed" unknown, as reconciliation does.
    const projection = project(base({ accounts: [{ shadow, current: jackAd(true) }] }));
    expect(projection.accounts).toEqual([
      expect.objectContaining({
        action: 'modify',
        deltas: [{ path: 'enabled', replace: [false] }],
        deprovisioning: 'disable',
        reason: 'disabled instead of deleted since 2026-01-01T00:00:00.000Z: no assignment requires this account',
      }),
    ]);
    const quiet = project(base({ accounts: [{ shadow, current: jackAd(false) }] }));
    expect(quiet.accounts).toEqual([expect.objectContaining({ action: 'keep', deprovisioning: 'disable' })]);
  });

  test('assigned again: the same account, enabled with the owner status, and its record restored', () => {
    const shadow = { ...jackAdShadow, deprovisionedAt: '2026-01-01T00:00:00.000Z' };
    const pirate = role({ name: 'Pirate', inducement: [{ construction: { resourceRef: AD_OID } }] });
    const projection = project(
      base({ user: jack({ assignment: [{ targetRef: 'Pirate' }] }), roles: [pirate], changedUserPaths: ['assignment'], accounts: [{ shadow, current: jackAd(false) }] }),
    );
    expect(projection.accounts).toEqual([
      expect.objectContaining({ action: 'modify', shadowOid: JACK_AD_SHADOW, deltas: [{ path: 'enabled', replace: [true] }], deprovisioning: 'restore' }),
    ]);
    const disabledUser = project(
      base({
        user: jack({ assignment: [{ targetRef: 'Pirate' }], activation: { administrativeStatus: 'disabled', effectiveStatus: 'disabled' } }),
        roles: [pirate],
        changedUserPaths: ['assignment'],
        accounts: [{ shadow, current: jackAd(false) }],
      }),
    );
    expect(disabledUser.accounts).toEqual([expect.objectContaining({ action: 'keep', deprovisioning: 'restore' })]);
  });

  test('a user deleted (every assignment removed): his accounts are disabled, not deleted', () => {
    const user = jack({ assignment: [adAssignment] });
    const projection = project(base({ user: { ...user, assignment: [] }, removedAssignments: user.assignment, accounts: [{ shadow: jackAdShadow, current: null }] }));
    // Not read (current null, nothing cached): every normal mapping gives a replace, the status a disabled one.
    expect(projection.accounts).toEqual([expect.objectContaining({ action: 'modify', shadowOid: JACK_AD_SHADOW, deprovisioning: 'disable' })]);
    expect(projection.accounts[0]!.deltas).toContainEqual({ path: 'enabled', replace: [false] });
  });
});
