import { policyFor, reactionFor } from '../../../src/model/reactions';
import { synchronizationSchema } from '../../../src/schema/config';
import { ldapResource, TEMPLATE_OID } from './fixtures';

const policies = ldapResource.synchronization;

describe('reactions', () => {
  test.each([
    ['unmatched', { actions: [{ handler: 'addFocus', objectTemplateRef: TEMPLATE_OID }], synchronize: true, objectTemplateRef: TEMPLATE_OID }],
    ['unlinked', { actions: [{ handler: 'link' }], synchronize: true }],
    ['linked', { actions: [{ handler: 'synchronize' }], synchronize: true }],
    ['deleted', { actions: [{ handler: 'unlink' }], synchronize: false }],
    ['disputed', undefined],
  ] as const)("the seeds' policy: %s", (situation, expected) => {
    expect(reactionFor(policies, { kind: 'account', intent: 'default', situation, channel: 'live-sync' })).toEqual(expected);
  });

  test('channel filter, explicit synchronize, kind/intent, first match wins', () => {
    const policy = synchronizationSchema.parse({
      objectTemplateRef: 'Fallback Template',
      reaction: [
        { situation: 'unmatched', channel: ['import'], action: { handler: 'addFocus' } },
        { situation: 'unmatched', action: { handler: 'deleteShadow' } },
        { situation: 'unlinked', synchronize: false, action: { handler: 'link' } },
        { situation: 'unlinked', action: { handler: 'deleteShadow' } },
      ],
    });
    const query = { kind: 'account', intent: 'default', channel: 'recon' } as const;
    expect(reactionFor([policy], { ...query, situation: 'unmatched', channel: 'import' })).toEqual({ actions: [{ handler: 'addFocus' }], synchronize: true, objectTemplateRef: 'Fallback Template' });
    expect(reactionFor([policy], { ...query, situation: 'unmatched' })?.actions).toEqual([{ handler: 'deleteShadow' }]);
    expect(reactionFor([policy], { ...query, situation: 'unlinked' })).toMatchObject({ synchronize: false });
    expect(reactionFor([policy], { ...query, intent: 'admin', situation: 'unlinked' })).toBeUndefined();
    expect(policyFor([policy], 'account', 'default')).toBe(policy);
  });
});
