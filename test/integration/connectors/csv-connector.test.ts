/**
 * The CSV file connector on a file in a private folder: "stopping" the resource takes the folder away
 * (a share unmounted), restarting brings it back. The contract runs with Tally's own writes shown as
 * changes (ignoreOwnWrites: false), as the contract's changelog checks write through the connector.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createConnector } from '../../../src/connectors';
import type { Connector } from '../../../src/connectors/connector-types';
import { CSV_INITIAL_TOKEN } from '../../../src/connectors/csv/csv-types';
import { csvConnectorSchema, type CsvConnectorConfig } from '../../../src/schema/config';
import { describeConnectorContract, expectKind, expectNoSecret, rowsFixture, type ConnectorFixture } from './connector-contract';

const PASSWORD = `csv-${randomBytes(9).toString('hex')}`;

const root = mkdtempSync(path.join(tmpdir(), 'tally-csv-connector-'));
const share = path.join(root, 'share');
const opened: Connector[] = [];

function csvFile(name: string, content: string): string {
  mkdirSync(share, { recursive: true });
  const file = path.join(share, name);
  writeFileSync(file, content);
  return file;
}

function connect(overrides: Partial<CsvConnectorConfig> & { file: string }): Connector {
  const c = createConnector(csvConnectorSchema.parse({ type: 'csv', uniqueAttribute: 'id', nameAttribute: 'name', lockTimeout: '3s', ...overrides }));
  opened.push(c);
  return c;
}

const accounts = csvFile('accounts.csv', 'id;name;full_name;email;groups;password\n');
const contractConfig = { file: accounts, passwordAttribute: 'password', multivalueAttributes: ['groups'], ignoreOwnWrites: false };
let csv: Connector;

beforeAll(() => {
  csv = connect(contractConfig);
});

afterAll(async () => {
  for (const c of opened) await c.close();
  rmSync(root, { recursive: true, force: true });
});

const rowsOf = (file: string): string[][] => parse(readFileSync(file), { delimiter: ';', comment: '#' });

const fixture = (): ConnectorFixture => ({
  connector: csv,
  connect: () => connect(contractConfig),
  initialToken: CSV_INITIAL_TOKEN,
  schema: { objectClass: 'accounts', attributes: ['name', 'full_name', 'email', 'groups', 'password'], complete: true },
  nameOf: (name) => name,
  account: {
    attributes: { full_name: ['Jack Sparrow'], email: ['jack@example.com'], groups: ['a', 'b'], password: [PASSWORD] },
    stored: { name: ['jack'], full_name: ['Jack Sparrow'], email: ['jack@example.com'], groups: ['a', 'b'] },
    primaryIdentifier: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, // generated
    hidden: ['id', 'password'],
    some: { names: ['email'], attributes: { name: ['jack'], email: ['jack@example.com'] } },
  },
  ...rowsFixture,
  unknownPrimaryIdentifier: 'no-such-id',
  deletesAreChanges: true,
  violations: {
    create: [
      ['bad1', { no_such_column: ['x'] }],
      ['bad2', { full_name: ['one', 'two'] }], // single-valued
      ['bad3', { groups: ['a|b'] }], // the multi-value delimiter in a value
    ],
    modify: [[{ path: 'no_such_column', replace: ['x'] }], [{ path: 'full_name', replace: ['one', 'two'] }], [{ path: 'name', replace: [] }]],
  },
  secrets: [PASSWORD],
  countObjects: async () => rowsOf(accounts).length - 1,
  stopResource: async () => renameSync(share, `${share}.unmounted`),
  restartResource: async () => renameSync(`${share}.unmounted`, share),
});

describeConnectorContract('CSV file connector', fixture, {
  afterGet() {
    it('keeps the password as a salted hash in the file, and reads the created row as an add', async () => {
      const text = readFileSync(accounts, 'utf8');
      expect(text).not.toContain(PASSWORD);
      expect(text).toMatch(/;\{SSHA256\}[A-Za-z0-9+/=]+\n$/);
      const page = await csv.changesSince(CSV_INITIAL_TOKEN);
      expect(page.changes).toEqual([
        expect.objectContaining({ changeType: 'add', secondaryIdentifier: 'jack', attributeDeltas: expect.arrayContaining([{ path: 'groups', replace: ['a', 'b'] }]) }),
      ]);
      expect(page.token).toBe(await csv.latestToken());
    });
  },
});

describe('CSV file connector', () => {
  const hr = (rows: string[]) => `# HR export\nempNo;login;department\n${rows.join('\n')}\n`;
  const employees = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `${from + i};user${from + i};${(from + i) % 2 ? 'Sales' : 'IT'}`);

  it('reads changes by snapshot: added, changed and removed rows, not Tally’s own writes', async () => {
    const file = csvFile('hr-own.csv', hr(employees(1, 6)));
    const c = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const token = await c.latestToken();
    // Tally's writes
    await c.modify('1', [{ path: 'department', replace: ['Board'] }]);
    await c.create('user7', { empNo: ['7'], department: ['IT'] });
    await c.delete('2');
    // HR's: row 3 moves to Legal, 4 leaves, 8 joins; the file is replaced as an export would be
    const exported = readFileSync(file, 'utf8').replace('3;user3;Sales', '3;user3;Legal').replace('4;user4;IT\n', '') + '8;user8;IT\n';
    writeFileSync(`${file}.new`, exported);
    renameSync(`${file}.new`, file);

    const page = await c.changesSince(token);
    expect(page.changes.map(({ token: _, ...change }) => change)).toEqual([
      { changeType: 'modify', primaryIdentifier: '3', secondaryIdentifier: 'user3', attributeDeltas: [{ path: 'department', replace: ['Legal'] }] },
      { changeType: 'add', primaryIdentifier: '8', secondaryIdentifier: 'user8', attributeDeltas: [{ path: 'login', replace: ['user8'] }, { path: 'department', replace: ['IT'] }] },
      { changeType: 'delete', primaryIdentifier: '4', secondaryIdentifier: 'user4' },
    ]);
    expect(await c.changesSince(page.token)).toEqual({ changes: [], token: page.token });
    // Tally's write changed again by HR is HR's change.
    writeFileSync(file, readFileSync(file, 'utf8').replace('1;user1;Board', '1;user1;Sales'));
    expect((await c.changesSince(page.token)).changes.map((ch) => [ch.changeType, ch.primaryIdentifier])).toEqual([['modify', '1']]);
  });

  it('reads a long difference in pages whose tokens continue it', async () => {
    const file = csvFile('hr-pages.csv', hr(employees(1, 5)));
    const c = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const token = await c.latestToken();
    writeFileSync(file, hr(employees(3, 9)));
    const seen: string[] = [];
    let next = token;
    for (let pages = 0; pages < 10; pages++) {
      const page = await c.changesSince(next, 2);
      if (page.changes.length === 0) break;
      seen.push(...page.changes.map((ch) => `${ch.changeType} ${ch.primaryIdentifier}`));
      next = page.token;
    }
    expect(seen).toEqual(['add 6', 'add 7', 'add 8', 'add 9', 'delete 1', 'delete 2']);
    expect(next).toBe(await c.latestToken());
  });

  it('keeps a few snapshots; a token whose snapshot is gone is expired', async () => {
    const file = csvFile('hr-snapshots.csv', hr(employees(1, 2)));
    const c = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login', keepSnapshots: 3 });
    const first = await c.latestToken();
    for (let n = 3; n <= 8; n++) {
      writeFileSync(file, hr(employees(1, n)));
      await c.latestToken();
    }
    expect(readdirSync(`${file}.snapshots`).filter((n) => n.endsWith('.csv'))).toHaveLength(3);
    const expired = await c.changesSince(first);
    expect(expired).toEqual({ changes: [], token: await c.latestToken(), expired: true });
  });

  it('names the file and line of a malformed row, a missing column and a bad token as configuration errors', async () => {
    const short = connect({ file: csvFile('hr-short.csv', hr(['1;user1;IT', '2;user2', '3;user3;IT'])), uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const e = await expectKind(short.search({}), 'configuration');
    expect(e.message).toContain(`${path.join(share, 'hr-short.csv')}:4: expected 3 fields (empNo, login, department), got 2`);
    const quote = connect({ file: csvFile('hr-quote.csv', hr(['1;user1;IT', `2;"user2;${PASSWORD}`, '3;user3;IT'])), uniqueAttribute: 'empNo' });
    const unclosed = await expectKind(quote.get({ primaryIdentifier: '3' }), 'configuration');
    expect(unclosed.message).toMatch(/hr-quote\.csv:\d+: /);
    expectNoSecret(unclosed, [PASSWORD]);
    const missing = await expectKind(connect({ file: csvFile('hr-cols.csv', hr([])), uniqueAttribute: 'id' }).testConnection(), 'configuration');
    expect(missing.message).toContain('hr-cols.csv:2: uniqueAttribute id is not a column of the header (empNo, login, department)');
    await expectKind(short.changesSince('not-a-token'), 'configuration');
    const twice = connect({ file: csvFile('hr-twice.csv', hr(['1;user1;IT', '2;user2;IT', '1;user3;IT'])), uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const duplicate = await expectKind(twice.changesSince(CSV_INITIAL_TOKEN), 'configuration');
    expect(duplicate.message).toMatch(/\.csv:5: empNo=1 is in two rows$/);
  });

  it('reads files without a header, in another encoding and with other delimiters and quotes', async () => {
    const file = path.join(share, 'latin1.csv');
    writeFileSync(file, Buffer.from("# exported\n1,'Müller, Jörg',a:b\n\n2,'O''Neil',\n", 'latin1'));
    const c = connect({ file, headerExists: false, columns: ['id', 'name', 'roles'], delimiter: ',', quote: "'", encoding: 'latin1', multivalueAttributes: ['roles'], multivalueDelimiter: ':' });
    expect((await c.search({})).objects.map((o) => [o.secondaryIdentifier, o.attributes.roles])).toEqual([
      ['Müller, Jörg', ['a', 'b']],
      ["O'Neil", []],
    ]);
    await c.create('Zoë', { roles: ['x', 'y'] });
    expect(readFileSync(file, 'latin1')).toMatch(/^1,'Müller, Jörg',a:b\n2,'O''Neil',\n[0-9a-f-]{36},Zoë,x:y\n$/);
  });

  it('creates several rows in one rewrite, all or none', async () => {
    const file = csvFile('hr-many.csv', hr(['1;user1;IT']));
    const c = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const row = (login: string, empNo: string) => ({ secondaryIdentifier: login, attributes: { empNo: [empNo], department: ['IT'] } });
    const created = await c.createMany!([row('user2', '2'), row('user3', '3')]);
    expect(created.map((o) => [o.primaryIdentifier, o.secondaryIdentifier])).toEqual([
      ['2', 'user2'],
      ['3', 'user3'],
    ]);
    expect((await expectKind(c.createMany!([row('user4', '4'), row('user1', '5')]), 'already-exists')).message).toContain('login=user1 is taken');
    expect((await expectKind(c.createMany!([row('user6', '6'), row('user7', '6')]), 'already-exists')).message).toContain('empNo=6 is given twice');
    expect(rowsOf(file).slice(1).map((r) => r[0])).toEqual(['1', '2', '3']);
  });

  it('serialises concurrent writers: in this process and against another process’s lock', async () => {
    const file = csvFile('hr-locked.csv', hr([]));
    const a = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login', lockTimeout: '300ms' });
    const b = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login', lockTimeout: '10s' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).create(`user${i}`, { empNo: [String(i)], department: ['IT'] })));
    expect(rowsOf(file).slice(1).map((r) => Number(r[0])).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));

    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(`${file}.lock`, String(holder.pid));
      const held = await expectKind(a.create('late', { empNo: ['99'] }), 'communication');
      expect(held.message).toContain(`held by process ${holder.pid}`);
    } finally {
      holder.kill();
    }
    await new Promise((resolve) => holder.once('exit', resolve));
    // The lock of a process that is gone is taken over.
    await a.create('late', { empNo: ['99'] });
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(readdirSync(share).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a page of a 1,000,000-row file without reading the file whole', async () => {
    const file = path.join(share, 'hr-million.csv');
    const chunk = (from: number) => Array.from({ length: 100_000 }, (_, i) => `${from + i};user${from + i};IT\n`).join('');
    writeFileSync(file, 'empNo;login;department\n');
    for (let from = 0; from < 1_000_000; from += 100_000) writeFileSync(file, chunk(from), { flag: 'a' });
    const c = connect({ file, uniqueAttribute: 'empNo', nameAttribute: 'login' });
    const started = Date.now();
    const first = await c.search({ pageSize: 100 });
    const second = await c.search({ pageSize: 100, cursor: first.cursor });
    const elapsed = Date.now() - started;
    expect(second.objects.map((o) => o.primaryIdentifier)).toEqual(Array.from({ length: 100 }, (_, i) => String(100 + i)));
    // Parsing the whole file takes seconds; two pages streamed from their positions, milliseconds.
    expect(elapsed).toBeLessThan(1500);
  });
});
