/**
 * The HR CSV feed (examples/hr-csv) on the real stack: a file of employees imported makes a user of each,
 * with an LDAP entry and a MyLittleAD row through the Employee role; then HR's next export, with people
 * moved to another department, renamed, gone and new, goes through live sync and the users and their
 * accounts follow. The file is the example's, grown to EMPLOYEES rows.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLiveSync } from '../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import { applyConfig } from '../../src/admin/apply-config';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { runTallyCli } from '../support/tally-cli';
import { eventually, startTally, type TallyHarness } from '../support/tally-harness';

const HR = 'HR feed';
const HR_OID = 'c0c010c0-d34d-b33f-f00d-333111111114';
// An HR export of 10,000 employees (about 100 s here under load); TALLY_HR_EMPLOYEES=1000 for a quick run.
const EMPLOYEES = Number(process.env.TALLY_HR_EMPLOYEES ?? 10_000);

let tally: TallyHarness;
let resources: ExampleResources;
let feed: string;

interface Employee {
  empNo: number;
  login: string;
  givenName: string;
  familyName: string;
  department: string;
  title: string;
}

const employee = (empNo: number): Employee => ({
  empNo,
  login: `e${empNo}`,
  givenName: 'Emp',
  familyName: `No${empNo}`,
  department: ['Sales', 'IT', 'Finance'][empNo % 3],
  title: 'Clerk',
});

/** HR replaces its export in one go, as an export job does. */
function exportFile(people: readonly Employee[]): void {
  const rows = people.map((e) => [e.empNo, e.login, e.givenName, e.familyName, e.department, e.title].join(';'));
  writeFileSync(`${feed}.new`, `# HR export\nempNo;login;givenName;familyName;department;title\n${rows.join('\n')}\n`);
  renameSync(`${feed}.new`, feed);
}

async function ldapEntries(): Promise<Map<string, Record<string, unknown>>> {
  const { searchEntries } = await resources.ldap.search(resources.base, {
    scope: 'one',
    filter: '(objectClass=inetOrgPerson)',
    attributes: ['uid', 'sn', 'departmentNumber', 'employeeNumber'],
    paged: { pageSize: 1000 },
  });
  return new Map(searchEntries.map((e) => [String(e.uid), e as Record<string, unknown>]));
}

async function pgRows(): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await resources.pg.query(`SELECT login, sn FROM ${resources.table}`);
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.login), r]));
}

/** Everybody in `people` has his user and both accounts as they should be, and nobody else has any. */
async function followed(people: readonly Employee[]): Promise<string> {
  const [users, entries, rows] = await Promise.all([tally.inspect.users.find({}).then((us) => new Map(us.map((u) => [u.name as string, u]))), ldapEntries(), pgRows()]);
  const counts = `${users.size} users, ${entries.size} LDAP entries, ${rows.size} rows for ${people.length} employees`;
  if (users.size !== people.length || entries.size !== people.length || rows.size !== people.length) return counts;
  for (const e of people) {
    const user = users.get(e.login);
    const entry = entries.get(e.login);
    const row = rows.get(e.login);
    if (!user || !entry || !row) return `${e.login} missing: ${counts}`;
    const expected = { employeeNumber: String(e.empNo), familyName: e.familyName, organizationalUnit: [e.department] };
    const actual = { employeeNumber: user.employeeNumber, familyName: user.familyName, organizationalUnit: user.organizationalUnit };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) return `${e.login}: user ${JSON.stringify(actual)}`;
    if (entry.departmentNumber !== e.department || entry.sn !== e.familyName || entry.employeeNumber !== String(e.empNo)) {
      return `${e.login}: LDAP ${JSON.stringify(entry)}`;
    }
    if (row.sn !== e.familyName) return `${e.login}: row ${JSON.stringify(row)}`;
  }
  return 'followed';
}

beforeAll(async () => {
  tally = await startTally('hr-csv');
  resources = await exampleResources(tally.stack, `hrcsv_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`, { sets: ['hr-csv'] });
  const hr = path.join(resources.examples, 'hr-csv');
  feed = path.join(hr, 'employees.csv');
  const yaml = path.join(hr, 'resource-hr-feed.yaml');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('file: examples/hr-csv/employees.csv', `file: ${feed}`));
  await applyConfig(tally.services.repo, tally.services.key, [...resources.examplesWithoutUsers, hr]);
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test(`${EMPLOYEES} employees imported from the HR file; the next export's 100 changes, 50 leavers and 50 joiners reach the users and their LDAP and PostgreSQL accounts by live sync`, async () => {
  const staff = Array.from({ length: EMPLOYEES }, (_, i) => employee(10_000 + i));
  exportFile(staff);
  const tested = await runTallyCli(tally.env, ['resource', 'test', HR, '--json']);
  expect(JSON.parse(tested.stdout)).toEqual({
    resource: HR,
    resourceOid: HR_OID,
    ok: true,
    checks: [
      { check: 'connection', ok: true, message: `connected to ${feed}` },
      { check: `file ${feed} (account/default)`, ok: true, message: `file ${feed} has 5 attributes` },
      expect.objectContaining({ check: 'mapped attributes (account/default)', ok: true }),
    ],
  });
  const started = await startResourceRun(tally.services, { type: 'import', resource: HR });
  const imported = await waitForRun(tally.services, started.workflowId, () => undefined, 500);
  expect(imported).toMatchObject({ errors: 0 });
  await eventually(() => followed(staff), (s) => s === 'followed', 'the imported employees and their accounts', 600_000);

  await startLiveSync(tally.services, HR, { intervalMs: 500 });
  await eventually(() => tally.services.repo.liveSync.token(HR_OID), (t) => !!t?.token, 'the live sync position at the imported file');

  const next = staff.map((e, i) => {
    if (i < 50) return { ...e, department: e.department === 'Sales' ? 'IT' : 'Sales' }; // moved
    if (i < 100) return { ...e, familyName: `${e.familyName}-Wed` }; // married
    return e;
  });
  const leavers = next.splice(100, 50);
  const joiners = Array.from({ length: 50 }, (_, i) => employee(100_000 + i));
  exportFile([...next, ...joiners]);

  await eventually(() => followed([...next, ...joiners]), (s) => s === 'followed', 'the users and accounts following the new export', 300_000);
  for (const gone of leavers) expect(await tally.services.repo.users.byRef(gone.login)).toBeNull();
}, 900_000);
