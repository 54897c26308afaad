/**
 * Import of an HR CSV file on the real stack: the example's "HR feed" resource (examples/hr-csv), each
 * row a user through the HR Employee Template. By default the users only (the template without the
 * Employee role: the import itself, not the LDAP and PostgreSQL provisioning the role hands over);
 * `accounts` keeps the role, and the run hands every user's two accounts to his workflow.
 *
 * 1. import: N rows -> N users; rows per second, history events, CPU per row;
 * 2. the floor, in the same run: the same file read alone through the connector (search, page by page,
 *    the run's page size), and the import's ratio to it.
 *
 *   npx tsx bench/csv.bench.ts [rows=100000] [pageSize=1000] [users|accounts]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyConfig } from '../src/admin/apply-config';
import { startTestStack } from '../test/setup/test-stack';
import { exampleResources } from '../test/support/example-resources';
import { startTally } from '../test/support/tally-harness';
import { printCpu, printFloorRatio, runBench } from './support/measure';
import { measuredReadFloor, measuredRun } from './support/resource-run';

const rows = Number(process.argv[2] ?? 100_000);
const pageSize = Number(process.argv[3] ?? 1000);
const withAccounts = process.argv[4] === 'accounts';
const HR_OID = 'c0c010c0-d34d-b33f-f00d-333111111114';

async function main() {
  const stack = await startTestStack();
  const tally = await startTally('bench-csv');
  const { examplesWithoutUsers, examples, close } = await exampleResources(stack.info, 'csv', { sets: ['hr-csv'] });
  try {
    const hr = path.join(examples, 'hr-csv');
    const file = path.join(hr, 'employees.csv');
    const resource = path.join(hr, 'resource-hr-feed.yaml');
    writeFileSync(resource, readFileSync(resource, 'utf8').replace('file: examples/hr-csv/employees.csv', `file: ${file}`));
    if (!withAccounts) {
      const template = path.join(hr, 'template-hr-employee.yaml');
      writeFileSync(template, readFileSync(template, 'utf8').replace(/\n {2}- strength: weak\n {4}expression: \{ value: \{ assignment: .*\n {4}target: \{ path: assignment \}\n/, '\n'));
    }
    const t = performance.now();
    const lines = Array.from({ length: rows }, (_, i) => `${100_000 + i};emp${i};Emp;No${i};${['Sales', 'IT', 'Finance'][i % 3]};Clerk`);
    writeFileSync(file, `empNo;login;givenName;familyName;department;title\n${lines.join('\n')}\n`);
    console.log(`wrote ${rows} rows in ${Math.round(performance.now() - t)} ms`);
    await applyConfig(tally.services.repo, tally.services.key, [...examplesWithoutUsers, hr]);

    const { summary, ms, cpu, events } = await measuredRun(tally, stack.pids, HR_OID, 'import', pageSize);
    const users = await tally.inspect.users.count({});
    console.log(`import of ${rows} CSV rows (${withAccounts ? 'users with the Employee role: an LDAP and a PostgreSQL account each, handed over' : 'users only'}), page size ${pageSize}:`);
    console.log(`  ${Math.round(ms)} ms -> ${(rows / (ms / 1000)).toFixed(0)} rows/s; ${users} users, ${summary.errors} errors; ${(events / rows).toFixed(4)} history events per row`);
    const perRow = printCpu(cpu, rows, 'row');

    // Floor: the same file read alone, page by page, as the import reads it.
    const { read, ms: floorMs, cpu: floorCpu } = await measuredReadFloor(tally, stack.pids, HR_OID, pageSize, { shadows: false });
    console.log(`  floor: ${read} rows read from the file: ${Math.round(floorMs)} ms -> ${(read / (floorMs / 1000)).toFixed(0)} rows/s`);
    const perFloor = printCpu(floorCpu, read, 'row');
    printFloorRatio(ms / floorMs, perRow / perFloor);
  } finally {
    for (const stop of [close, () => tally.stop(), () => stack.stop()]) await stop();
  }
}

runBench(main);
