/**
 * `tally dev` / `make start`: the whole system on embedded parts, on fixed ports, with persistent data in
 * .data/dev. Starts only what isn't given: TEMPORAL_ADDRESS and MONGODB_URI point at existing servers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import {
  repoRoot,
  startMongod,
  startPostgres,
  startSlapd,
  startTemporalDevServer,
  type MongodServer,
  type PostgresServer,
  type SlapdServer,
  type TemporalDevServer,
} from './servers';

export interface DevStackOptions {
  dataDir: string;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  /** Tally's codec endpoint, for the Temporal UI (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
}

export interface DevStack {
  env: Record<string, string>;
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export const devPorts = { temporal: 7233, temporalUi: 8233, mongo: 27017, ldap: 3890, postgres: 5433 } as const;

const examplePeople: Array<{ uid: string; givenName: string; sn: string }> = [
  { uid: 'jack', givenName: 'Jack', sn: 'Sparrow' },
  { uid: 'elizabeth', givenName: 'Elizabeth', sn: 'Swann' },
  { uid: 'hector', givenName: 'Hector', sn: 'Barbossa' },
];

/** The examples' groups (the Pirate role gives membership of cn=pirates). */
export const exampleGroups = ['pirates'];

function seedLdif(peopleDn: string): string {
  return examplePeople
    .map((p) =>
      [
        `dn: uid=${p.uid},${peopleDn}`,
        'objectClass: top',
        'objectClass: person',
        'objectClass: organizationalPerson',
        'objectClass: inetOrgPerson',
        `uid: ${p.uid}`,
        `cn: ${p.givenName} ${p.sn}`,
        `givenName: ${p.givenName}`,
        `sn: ${p.sn}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** Dev-only secrets, generated once and kept in the data dir (mode 600), never printed. */
function devSecrets(dataDir: string): { ldapPassword: string; apiToken: string } {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = { ldapPassword: randomBytes(12).toString('hex'), apiToken: randomBytes(16).toString('hex') };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const dataDir = path.resolve(repoRoot, options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secrets = devSecrets(dataDir);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const results = await Promise.allSettled([
      options.env.TEMPORAL_ADDRESS
        ? Promise.resolve(null)
        : startTemporalDevServer({ dbFile: path.join(dataDir, 'temporal.db'), port: devPorts.temporal, uiPort: devPorts.temporalUi, uiCodecEndpoint: options.codecEndpoint }),
      // The repository; data left in .data/dev/ferretdb by the earlier FerretDB layout is unused (delete it).
      options.env.MONGODB_URI ? Promise.resolve(null) : startMongod({ dataDir: path.join(dataDir, 'mongodb'), port: devPorts.mongo }),
      startSlapd({ dataDir: path.join(dataDir, 'slapd'), port: devPorts.ldap, adminPassword: secrets.ldapPassword, seedLdif: seedLdif('ou=people,dc=example,dc=com'), groups: exampleGroups }),
      startPostgres({ dataDir: path.join(dataDir, 'postgres'), port: devPorts.postgres }),
    ] as const);
    for (const r of results) if (r.status === 'fulfilled' && r.value) stops.push(() => r.value!.stop());
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
    const [temporal, mongo, ldap, postgres] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      TemporalDevServer | null,
      MongodServer | null,
      SlapdServer,
      PostgresServer,
    ];
    await preparePostgresExample(postgres.connectionString);

    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: options.env.TEMPORAL_ADDRESS ?? temporal!.address,
      TEMPORAL_NAMESPACE: options.env.TEMPORAL_NAMESPACE ?? 'default',
      MONGODB_URI: options.env.MONGODB_URI ?? mongo!.uri,
      TALLY_LDAP_PASSWORD: secrets.ldapPassword,
      TALLY_PG_PASSWORD: options.env.TALLY_PG_PASSWORD ?? 'trust',
      TALLY_API_TOKEN: options.env.TALLY_API_TOKEN ?? secrets.apiToken,
      ...(options.env.TALLY_SECRET_KEY ? {} : { TALLY_DEV: '1' }),
    };
    const urls: Record<string, string> = {
      'Temporal UI': temporal?.uiUrl ?? '(external Temporal: its own UI)',
      Temporal: env.TEMPORAL_ADDRESS,
      MongoDB: env.MONGODB_URI,
      'LDAP resource': `${ldap.url} (people's changes: bind ${ldap.bindDn}; Tally binds as ${ldap.serviceDn}; password in ${path.join(dataDir, 'dev-secrets.json')})`,
      'PostgreSQL resource': postgres.connectionString,
    };
    return { env, urls, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The "MyLittleAD" example table with jack's existing account, as in the seeds' modification scenario. */
async function preparePostgresExample(connectionString: string): Promise<void> {
  const pg = new PgClient({ connectionString });
  await pg.connect();
  try {
    // jack's row is seeded with the table only: a row deleted later (e.g. by Tally) stays deleted.
    const created = (await pg.query(`SELECT to_regclass('accounts') IS NULL AS absent`)).rows[0].absent as boolean;
    await pg.query(readFileSync(path.join(repoRoot, 'examples', 'sql', 'accounts.sql'), 'utf8'));
    if (created) {
      await pg.query(`INSERT INTO accounts (name, login, cn, given_name, sn) VALUES ('cn=jack,o=Acme', 'jack', 'Jack Sparrow', 'Jack', 'Sparrow') ON CONFLICT (name) DO NOTHING`);
    }
  } finally {
    await pg.end();
  }
}
