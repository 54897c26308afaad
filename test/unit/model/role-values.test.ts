/**
 * Role values that come and go (midPoint's semantics): an assignment this change added makes its
 * constructions' normal mappings apply to an account that already exists; one it removed takes back
 * what its constructions gave, tolerant attributes included, and leaves values others set.
 */
import { templateFor } from '../../../src/model/reconciliation';
import { project, type ProjectionInput } from '../../../src/model/projector';
import { objectTemplateSchema, type Assignment } from '../../../src/schema/config';
import type { ResourceObject } from '../../../src/schema/objects';
import { account, AD_OID, adResourceWith, jack, jackAdShadow, role } from './fixtures';

const resource = adResourceWith({
  attributes: [
    { ref: 'ri:title', multiValued: true },
    { ref: 'ri:employeeType', multiValued: true, tolerant: false },
    { ref: 'ri:description' },
  ],
});
const construction = (attribute: unknown[]) => ({ construction: { resourceRef: AD_OID, attribute } });
const value = (ref: string, v: string, strength = 'normal') => ({ ref, outbound: { strength, expression: { value: v } } });

const pirate = role({ name: 'Pirate', inducement: [construction([value('title', 'Pirate'), value('employeeType', 'pirate'), value('description', 'Sails')])] });
const sailor = role({ name: 'Sailor', inducement: [construction([value('title', 'Sailor'), value('employeeType', 'sailor')])] });
const captain = role({ name: 'Captain', inducement: [construction([value('title', 'Captain', 'weak')])] });
const rolesOf = [pirate, sailor, captain];

const jackAd = (attributes: ResourceObject['attributes']) => account('cn=jack,o=Acme', { cn: ['Jack Sparrow'], ...attributes }, 'ad-jack-1');
const input = (assigned: string[], current: ResourceObject, changes: Partial<ProjectionInput>): ProjectionInput => ({
  user: jack({ assignment: assigned.map((r) => ({ targetRef: r })) }),
  changedUserPaths: ['assignment'],
  roles: rolesOf,
  resources: [resource],
  accounts: [{ shadow: jackAdShadow, current }],
  ...changes,
});
const deltasOf = (i: ProjectionInput) => project(i).accounts.flatMap((a) => a.deltas ?? []);
const ref = (name: string): Assignment => ({ targetRef: name });

describe('assigning a role with normal mappings to a user whose account exists', () => {
  test('the added assignment counts as a change of its construction: its normal values reach the account', () => {
    const deltas = deltasOf(input(['Sailor', 'Pirate'], jackAd({ title: ['Sailor'], employeeType: ['sailor'] }), { addedAssignments: [ref('Pirate')] }));
    expect(deltas).toEqual([
      { path: 'title', add: ['Pirate'] },
      { path: 'employeeType', add: ['pirate'] },
      { path: 'description', replace: ['Sails'] },
    ]);
  });

  test("another, older assignment's normal values are not forced back (its sources did not change)", () => {
    // Someone removed Sailor from title on the resource; assigning Pirate does not restore it.
    const deltas = deltasOf(input(['Sailor', 'Pirate'], jackAd({ employeeType: ['sailor'] }), { addedAssignments: [ref('Pirate')] }));
    expect(deltas.find((d) => d.path === 'title')).toEqual({ path: 'title', add: ['Pirate'] });
  });

  test('without knowing which assignment is new, every assignment counts as new', () => {
    const deltas = deltasOf(input(['Sailor', 'Pirate'], jackAd({ employeeType: ['sailor'] }), {}));
    expect(deltas.find((d) => d.path === 'title')).toEqual({ path: 'title', add: ['Sailor', 'Pirate'] });
  });

  test('when nothing about assignments changed, a normal role value stays out (as before)', () => {
    const deltas = deltasOf(input(['Pirate'], jackAd({}), { changedUserPaths: ['givenName'] }));
    expect(deltas).toEqual([]);
  });

  test('a weak mapping of a new assignment still only fills an empty attribute', () => {
    expect(deltasOf(input(['Sailor', 'Captain'], jackAd({ title: ['Sailor'], employeeType: ['sailor'] }), { addedAssignments: [ref('Captain')] }))).toEqual([]);
    expect(deltasOf(input(['Captain'], jackAd({}), { addedAssignments: [ref('Captain')] }))).toEqual([{ path: 'title', add: ['Captain'] }]);
  });

  test('an assignment a template mapping adds is new as well', () => {
    const template = objectTemplateSchema.parse({
      kind: 'ObjectTemplate',
      name: 'Pirates',
      mapping: [{ strength: 'strong', expression: { value: { targetRef: 'Pirate' } }, target: { path: 'assignment' } }],
    });
    const deltas = deltasOf(input([], jackAd({}), { template, changedUserPaths: ['givenName'] }));
    expect(deltas.map((d) => d.path)).toEqual(['title', 'employeeType', 'description']);
  });
});

describe('unassigning a role takes back what its constructions gave', () => {
  const current = () => jackAd({ title: ['Pirate', 'Sailor', 'Hand-set'], employeeType: ['pirate', 'sailor'], description: ['Sails'] });

  test("its values go, also from tolerant attributes; another role's values and values set on the resource stay", () => {
    const deltas = deltasOf(input(['Sailor'], current(), { removedAssignments: [ref('Pirate')], addedAssignments: [] }));
    expect(deltas).toEqual([
      { path: 'title', delete: ['Pirate'] },
      { path: 'employeeType', delete: ['pirate'] },
      { path: 'description', replace: [] },
    ]);
  });

  test('a value another still-assigned role gives too stays', () => {
    const both = role({ name: 'Pirate', inducement: [construction([value('title', 'Sailor')])] });
    const deltas = deltasOf({ ...input(['Sailor'], current(), { removedAssignments: [ref('Pirate')], addedAssignments: [] }), roles: [both, sailor] });
    // employeeType is not tolerant: what no mapping gives goes anyway.
    expect(deltas).toEqual([{ path: 'employeeType', delete: ['pirate'] }]);
  });

  test('without the removal known, a tolerant attribute keeps the value (nothing says where it came from)', () => {
    const deltas = deltasOf(input(['Sailor'], current(), { addedAssignments: [] }));
    expect(deltas).toEqual([{ path: 'employeeType', delete: ['pirate'] }]);
  });

  test('an account no assignment needs any more but that is kept (enforcement none) loses the values too', () => {
    const none = adResourceWith({ enforcement: 'none', attributes: [{ ref: 'ri:title', multiValued: true }, { ref: 'ri:employeeType', multiValued: true }] });
    const projection = project({ ...input([], current(), { removedAssignments: [ref('Pirate')], addedAssignments: [] }), resources: [none] });
    expect(projection.accounts).toEqual([
      expect.objectContaining({
        action: 'modify',
        deltas: [
          { path: 'title', delete: ['Pirate'] },
          { path: 'employeeType', delete: ['pirate'] },
          { path: 'description', replace: [] },
        ],
      }),
    ]);
  });

  test('removed and added again in one recomputation: nothing is taken back', () => {
    expect(deltasOf(input(['Sailor', 'Pirate'], current(), { removedAssignments: [ref('Pirate')], addedAssignments: [ref('Pirate')] }))).toEqual([]);
  });
});

describe('which object template applies to a user', () => {
  const a = objectTemplateSchema.parse({ kind: 'ObjectTemplate', oid: 't-a', name: 'A', mapping: [] });
  const b = objectTemplateSchema.parse({ kind: 'ObjectTemplate', oid: 't-b', name: 'B', mapping: [] });
  const byDefault = { ...b, default: true };

  test("the user's own templateRef (oid or name), else the default, else none", () => {
    expect(templateFor({ templateRef: 't-a' }, [a, byDefault])).toBe(a);
    expect(templateFor({ templateRef: 'A' }, [a, byDefault])).toBe(a);
    expect(templateFor({}, [a, byDefault])).toBe(byDefault);
    expect(templateFor({}, [a, b])).toBeUndefined();
  });

  test('the only template stored is no default by being the only one', () => {
    expect(templateFor({}, [a])).toBeUndefined();
  });

  test("a templateRef to a template that is gone gives none, not the default", () => {
    expect(templateFor({ templateRef: 'gone' }, [a, byDefault])).toBeUndefined();
  });

  test("a template the user was just given applies whole: its normal mappings run though their sources didn't change", () => {
    const template = objectTemplateSchema.parse({
      kind: 'ObjectTemplate',
      name: 'Emails',
      mapping: [{ strength: 'normal', source: [{ path: 'name' }], expression: { script: { code: "name + '@example.com'" } }, target: { path: 'emailAddress' } }],
    });
    const user = jack({ templateRef: 'Emails' });
    const base = { roles: [], resources: [resource], accounts: [] };
    expect(project({ ...base, user, template, changedUserPaths: ['givenName'] }).user.emailAddress).toBeUndefined();
    expect(project({ ...base, user, template, changedUserPaths: ['templateRef'] }).user.emailAddress).toBe('jack@example.com');
  });
});
