import { saltedHash } from '../../connectors/password-hash';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'ldapts';
import { freePort, retryOnPortClash } from './ports';
import { runCommand, startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface SlapdOptions {
  /** Holds slapd.conf, the two mdb databases and slapd.log; re-using it keeps the data. */
  dataDir: string;
  port?: number;
  baseDn?: string;
  adminPassword: string;
  /** LDIF text loaded with `slapadd -q` when the database is new (entries under ou=people, not the base or ou=people itself). */
  seedLdif?: string;
  /** An LDIF file loaded with `slapadd -q -l` after `seedLdif` when the database is new: many entries, never held in memory. */
  seedLdifFile?: string;
  /**
   * groupOfNames entries kept under `ou=groups,<base>` (created when missing, also in a directory made
   * before): `cn=<name>`, with the placeholder member GROUP_PLACEHOLDER_MEMBER until someone joins.
   */
  groups?: string[];
  startTimeoutMs?: number;
}

/** The member a group holds when nobody else is (groupOfNames needs one); the examples' association says so. */
export const GROUP_PLACEHOLDER_MEMBER = 'cn=nobody';

/** A private OpenLDAP instance with the accesslog overlay as its changelog. */
export interface SlapdServer extends ServerControl {
  readonly url: string;
  readonly port: number;
  readonly bindDn: string;
  /**
   * Tally's own account (`cn=tally,<base>`, the admin's password): its writes are recognised in the
   * accesslog and skipped by live sync, so people's changes made as the admin still flow.
   */
  readonly serviceDn: string;
  readonly baseDn: string;
  readonly peopleDn: string;
  /** `ou=groups,<base>`: the groups (groupOfNames). */
  readonly groupsDn: string;
  readonly accesslogBase: string;
  readonly dataDir: string;
  readonly logFile: string;
}

const ACCESSLOG_BASE = 'cn=accesslog';

/** `{SSHA}` as slappasswd makes it, computed here so the password never appears in a command line. */
export function sshaHash(password: string): string {
  return saltedHash(password, 'SSHA');
}

function slapdConf(dataDir: string, baseDn: string, bindDn: string, serviceDn: string, passwordHash: string): string {
  const schemaDir = tools.ldapSchemaDir();
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include ${schemaDir}/${s}.schema`);
  return [
    ...schemas,
    `modulepath ${tools.ldapModuleDir()}`,
    'moduleload back_mdb',
    'moduleload accesslog',
    `pidfile ${path.join(dataDir, 'slapd.pid')}`,
    `argsfile ${path.join(dataDir, 'slapd.args')}`,
    'sizelimit unlimited',
    '',
    // The changelog database must come before the database it logs.
    'database mdb',
    `suffix "${ACCESSLOG_BASE}"`,
    `directory ${path.join(dataDir, 'db', 'accesslog')}`,
    'maxsize 4294967296',
    'dbnosync',
    'sizelimit unlimited',
    'index default eq',
    'index objectClass,entryCSN,reqStart,reqEnd,reqResult eq',
    '',
    'database mdb',
    `suffix "${baseDn}"`,
    `rootdn "${bindDn}"`,
    `rootpw ${passwordHash}`,
    `directory ${path.join(dataDir, 'db', 'main')}`,
    'maxsize 4294967296',
    'dbnosync',
    'sizelimit unlimited',
    'index objectClass eq',
    'index uid,cn,sn,mail,entryUUID,entryCSN eq',
    `access to attrs=userPassword by dn.exact="${serviceDn}" write by anonymous auth by self write by * none`,
    `access to * by dn.exact="${serviceDn}" write by * read`,
    'overlay accesslog',
    `logdb "${ACCESSLOG_BASE}"`,
    'logops writes',
    'logsuccess TRUE',
    'logold (objectClass=inetOrgPerson)',
    '',
  ].join('\n');
}

function baseEntriesLdif(baseDn: string, peopleDn: string): string {
  const [attr, value] = baseDn.split(',')[0].split('=').map((s) => s.trim());
  const classes: Record<string, string> = {
    dc: `objectClass: dcObject\nobjectClass: organization\no: ${value}\ndc: ${value}`,
    o: `objectClass: organization\no: ${value}`,
    ou: `objectClass: organizationalUnit\nou: ${value}`,
  };
  const body = classes[attr.toLowerCase()];
  if (!body) throw new Error(`startSlapd: unsupported base DN ${baseDn} (first RDN must be dc=, o= or ou=)`);
  return `dn: ${baseDn}\n${body}\n\ndn: ${peopleDn}\nobjectClass: organizationalUnit\nou: people\n\n`;
}

/** Whether an LDAP server answers a read of its root DSE at `url`. */
export async function answersRootDse(url: string): Promise<boolean> {
  const client = new Client({ url, timeout: 2000, connectTimeout: 1000 });
  try {
    await client.search('', { scope: 'base', attributes: ['namingContexts'] });
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function groupLdif(groupsDn: string, name: string): string {
  return `dn: cn=${name},${groupsDn}\nobjectClass: groupOfNames\ncn: ${name}\nmember: ${GROUP_PLACEHOLDER_MEMBER}\n\n`;
}

/** Creates ou=groups and the groups in a directory made before they were part of the seed. */
async function ensureGroups(url: string, bindDn: string, password: string, groupsDn: string, groups: readonly string[]): Promise<void> {
  const client = new Client({ url });
  const exists = async (dn: string) =>
    (await client.search(dn, { scope: 'base', attributes: ['1.1'] }).catch(() => ({ searchEntries: [] }))).searchEntries.length > 0;
  try {
    await client.bind(bindDn, password);
    if (!(await exists(groupsDn))) await client.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });
    for (const name of groups) {
      const dn = `cn=${name},${groupsDn}`;
      if (!(await exists(dn))) await client.add(dn, { objectClass: 'groupOfNames', cn: name, member: GROUP_PLACEHOLDER_MEMBER });
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Creates Tally's service account in a directory made before it existed. */
async function ensureServiceAccount(url: string, bindDn: string, serviceDn: string, password: string): Promise<void> {
  const client = new Client({ url });
  try {
    await client.bind(bindDn, password);
    const found = await client.search(serviceDn, { scope: 'base', attributes: ['1.1'] }).catch(() => ({ searchEntries: [] }));
    if (found.searchEntries.length === 0) {
      await client.add(serviceDn, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'tally', userPassword: sshaHash(password), description: "Tally's service account" });
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export async function startSlapd(options: SlapdOptions): Promise<SlapdServer> {
  return retryOnPortClash(options, startSlapdOnce);
}

async function startSlapdOnce(options: SlapdOptions): Promise<SlapdServer> {
  const dataDir = path.resolve(options.dataDir);
  const baseDn = options.baseDn ?? 'dc=example,dc=com';
  const bindDn = `cn=admin,${baseDn}`;
  const serviceDn = `cn=tally,${baseDn}`;
  const peopleDn = `ou=people,${baseDn}`;
  const groupsDn = `ou=groups,${baseDn}`;
  const port = options.port ?? (await freePort());
  const url = `ldap://127.0.0.1:${port}`;
  const confFile = path.join(dataDir, 'slapd.conf');
  const logFile = path.join(dataDir, 'slapd.log');
  const mainDb = path.join(dataDir, 'db', 'main');
  mkdirSync(mainDb, { recursive: true });
  mkdirSync(path.join(dataDir, 'db', 'accesslog'), { recursive: true });
  writeFileSync(confFile, slapdConf(dataDir, baseDn, bindDn, serviceDn, sshaHash(options.adminPassword)), { mode: 0o600 });

  if (!existsSync(path.join(mainDb, 'data.mdb'))) {
    // Tally's account is loaded with the base entries, so a new directory's accesslog starts empty.
    const service = `dn: ${serviceDn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: tally\nuserPassword: ${sshaHash(options.adminPassword)}\ndescription: Tally's service account\n\n`;
    const groups = `dn: ${groupsDn}\nobjectClass: organizationalUnit\nou: groups\n\n` + (options.groups ?? []).map((g) => groupLdif(groupsDn, g)).join('');
    const ldif = baseEntriesLdif(baseDn, peopleDn) + service + groups + (options.seedLdif ?? '');
    await runCommand(tools.slapadd(), ['-q', '-f', confFile, '-b', baseDn], { input: ldif });
    if (options.seedLdifFile) await runCommand(tools.slapadd(), ['-q', '-f', confFile, '-b', baseDn, '-l', options.seedLdifFile]);
  }

  const control = await startServer(
    { name: 'slapd', command: tools.slapd(), args: ['-d', 'none', '-f', confFile, '-h', `${url}/`], logFile },
    { probe: () => answersRootDse(url), what: `slapd on ${url}`, timeoutMs: options.startTimeoutMs },
  );

  await ensureServiceAccount(url, bindDn, serviceDn, options.adminPassword);
  await ensureGroups(url, bindDn, options.adminPassword, groupsDn, options.groups ?? []);

  return {
    url,
    port,
    bindDn,
    serviceDn,
    baseDn,
    peopleDn,
    groupsDn,
    accesslogBase: ACCESSLOG_BASE,
    dataDir,
    logFile,
    ...control,
  };
}
