/**
 * Role values that come and go, on the real stack (midPoint's semantics): will already has an LDAP
 * account (from the Gunner role); `tally user assign` of the Navigator role, whose construction maps
 * `title` with normal strength, adds Navigator to that existing account; `tally user unassign` takes
 * it away again, while the title set directly on the directory (title is tolerant) and the one the
 * still-assigned Gunner role gives stay.
 *
 * Object templates apply to the users they are set for: two templates, users with different
 * templateRef get different computed e-mail addresses, a user without templateRef (and no default
 * template) gets none until `tally user set templateRef=...` gives him one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client as LdapClient, type Entry } from 'ldapts';
import type { ProvisionUserResult } from '../../src/workflows/provision-user';
import { ldapResourceYaml } from '../support/ldap-resource-yaml';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../support/tally-harness';

const run = promisify(execFile);
const tallyBin = path.join(__dirname, '..', '..', 'bin', 'tally');
const RESOURCE_OID = 'c0c010c0-0000-4000-8000-0000000000b1';

let tally: TallyHarness;
let base: string;

const resourceYaml = (ldap: { url: string; bindDn: string }) =>
  ldapResourceYaml({
    oid: RESOURCE_OID,
    name: 'Role Values LDAP',
    ldap,
    base,
    uidOutbound: true,
    attributes: `        - ref: cn
          outbound: { source: [{ path: $user/fullName }] }
        - ref: sn
          outbound: { source: [{ path: $user/familyName }] }
        - ref: mail
          outbound: { source: [{ path: $user/emailAddress }] }
        # Given by roles; tolerant (the default): values set by others on the directory stay.
        - ref: title
          multiValued: true
`,
  });

const role = (name: string) => `kind: Role
name: ${name}
inducement:
  - construction:
      resourceRef: Role Values LDAP
      attribute:
        - ref: title
          outbound: { strength: normal, expression: { value: ${name} } }
`;

const template = (name: string, domain: string) => `kind: ObjectTemplate
name: ${name}
mapping:
  - strength: normal
    source: [{ path: name }]
    expression: { script: { code: "name + '@${domain}'" } }
    target: { path: emailAddress }
`;

const users = `kind: User
name: rv-will
fullName: Will Turner
familyName: Turner
templateRef: Sea
assignment: [{ targetRef: Gunner }]
---
kind: User
name: rv-elizabeth
fullName: Elizabeth Swann
familyName: Swann
templateRef: Land
---
kind: User
name: rv-hector
fullName: Hector Barbossa
familyName: Barbossa
`;

async function withLdap<T>(use: (ldap: LdapClient) => Promise<T>): Promise<T> {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    return await use(ldap);
  } finally {
    await ldap.unbind();
  }
}

async function titles(): Promise<string[]> {
  const entry: Entry | undefined = await withLdap(async (ldap) => (await ldap.search(`uid=rv-will,${base}`, { scope: 'base', attributes: ['title'] })).searchEntries[0]);
  const title = entry?.title;
  return (title === undefined ? [] : Array.isArray(title) ? title.map(String) : [String(title)]).sort();
}

async function cli(args: string[]) {
  const { stdout } = await run(tallyBin, args, { env: { ...process.env, ...tally.env }, timeout: 120_000 });
  return JSON.parse(stdout) as { changedPaths: string[]; provisioning?: ProvisionUserResult };
}

beforeAll(async () => {
  tally = await startTally('rolevalues');
  const ou = `people-${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`;
  base = `ou=${ou},dc=example,dc=com`;
  await withLdap((ldap) => ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou }));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-rolevalues-'));
  writeFileSync(path.join(dir, 'resource.yaml'), resourceYaml(tally.stack.ldap));
  writeFileSync(path.join(dir, 'roles.yaml'), `${role('Gunner')}---\n${role('Navigator')}`);
  writeFileSync(path.join(dir, 'templates.yaml'), `${template('Sea', 'sea.example')}---\n${template('Land', 'land.example')}`);
  writeFileSync(path.join(dir, 'users.yaml'), users);
  // As `tally apply` does: the new users are recomputed (template, roles, accounts).
  await applyAndProvision(tally.services, [dir]);
}, 180_000);

afterAll(async () => {
  await tally?.stop();
});

describe('object templates apply to the users they are set for', () => {
  test('two templates: each user gets the values of his own; a user without templateRef and no default gets none', async () => {
    expect(await tally.services.repo.users.byRef('rv-will')).toMatchObject({ templateRef: 'Sea', emailAddress: 'rv-will@sea.example' });
    expect(await tally.services.repo.users.byRef('rv-elizabeth')).toMatchObject({ templateRef: 'Land', emailAddress: 'rv-elizabeth@land.example' });
    const hector = await tally.services.repo.users.byRef('rv-hector');
    expect(hector).not.toHaveProperty('emailAddress');
    expect(hector).not.toHaveProperty('templateRef');
  });

  test('tally user set templateRef gives a user a template (stored by oid) and its values; an unknown one is refused', async () => {
    const result = await cli(['user', 'set', 'rv-hector', 'templateRef=Land', '--wait', '--json']);
    expect(result.changedPaths).toContain('templateRef');
    const land = (await tally.services.repo.config.snapshot()).objectTemplates.find((t) => t.name === 'Land')!;
    expect(await tally.services.repo.users.byRef('rv-hector')).toMatchObject({ templateRef: land.oid, emailAddress: 'rv-hector@land.example' });

    const refused = await run(tallyBin, ['user', 'set', 'rv-hector', 'templateRef=Nowhere'], { env: { ...process.env, ...tally.env } }).then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(refused?.stderr).toContain("no object template 'Nowhere' (object templates: Land, Sea)");
  });
});

describe("a role's values come and go on an account that already exists", () => {
  test("will's account exists with the Gunner title; a title is set directly on the directory", async () => {
    expect(await titles()).toEqual(['Gunner']);
    await withLdap((ldap) => ldap.modify(`uid=rv-will,${base}`, [new Change({ operation: 'add', modification: new Attribute({ type: 'title', values: ['Hand-set'] }) })]));
    expect(await titles()).toEqual(['Gunner', 'Hand-set']);
  });

  test("assigning Navigator (a normal-strength mapping) adds its title to the existing account", async () => {
    const result = await cli(['user', 'assign', 'rv-will', 'Navigator', '--wait', '--json']);
    expect(result.changedPaths).toEqual(['assignment']);
    expect(result.provisioning!.accountOperations.map((op) => `${op.action} ${op.resourceRef}`)).toEqual([`modify ${RESOURCE_OID}`]);
    expect(await eventually(titles, (t) => t.includes('Navigator'), 'the Navigator title')).toEqual(['Gunner', 'Hand-set', 'Navigator']);
  });

  test('unassigning Navigator takes its title back; the hand-set title and the Gunner title stay', async () => {
    const result = await cli(['user', 'unassign', 'rv-will', 'Navigator', '--wait', '--json']);
    expect(result.changedPaths).toEqual(['assignment']);
    expect(result.provisioning!.accountOperations.map((op) => `${op.action} ${op.resourceRef}`)).toEqual([`modify ${RESOURCE_OID}`]);
    expect(await eventually(titles, (t) => !t.includes('Navigator'), 'the Navigator title gone')).toEqual(['Gunner', 'Hand-set']);
    // The account itself stays: Gunner still asks for it.
    expect((await tally.services.repo.shadows.ofOwner((await tally.services.repo.users.byRef('rv-will'))!.oid)).map((s) => s.exists)).toEqual([true]);
  });
});
