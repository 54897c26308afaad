import { createHash, randomInt } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isPortOpen } from './ports';
import { runCommand, startServer, type ServerControl } from './process';
import { answersRootDse } from './slapd';
import { repoRoot, tools } from './tools';

export interface SambaOptions {
  /** Holds the domain (a copy of the provisioned template), smb.conf and samba.log; re-using it keeps the data. */
  dataDir: string;
  /** The loopback address it listens on (its LDAP port is always 389): a free 127.x.y.z when not given. */
  address?: string;
  /** The domain Administrator's password; it must meet AD's complexity rules. */
  adminPassword: string;
  startTimeoutMs?: number;
}

/** A private Samba AD domain controller (LDAP, CLDAP and Kerberos only) on its own loopback address. */
export interface SambaServer extends ServerControl {
  readonly address: string;
  /** Plain LDAP: simple binds are allowed on it (`ldap server require strong auth = no`), as a test server. */
  readonly url: string;
  readonly ldapsUrl: string;
  /** The name in the server's certificate (check it against this, not the address). */
  readonly tlsServerName: string;
  /** The self-signed CA of the server's certificate. */
  readonly caFile: string;
  readonly realm: string;
  readonly baseDn: string;
  readonly adminDn: string;
  /** `OU=people,<base>` and `OU=groups,<base>`, empty in a new domain. */
  readonly peopleDn: string;
  readonly groupsDn: string;
  readonly dataDir: string;
  readonly logFile: string;
}

const REALM = 'TALLY.TEST';
const DOMAIN = 'TALLY';
const HOST = 'TALLYDC';
const BASE_DN = 'DC=tally,DC=test';

/**
 * Provisioning a domain takes ~20 s of CPU; copying a provisioned one takes well under a second. So each
 * machine provisions once per Samba version and Administrator password, into `.data/samba-templates/`, and
 * every server starts from a copy. A template is made in a temporary folder and renamed into place, so
 * servers starting side by side never see half of one.
 */
async function domainTemplate(adminPassword: string): Promise<string> {
  const version = (await runCommand(tools.samba(), ['--version'])).trim();
  const key = createHash('sha256').update(`${version}\n${REALM}\n${adminPassword}`).digest('hex').slice(0, 16);
  const root = path.join(repoRoot, '.data', 'samba-templates');
  const template = path.join(root, key);
  if (existsSync(path.join(template, 'private', 'sam.ldb'))) return template;
  const work = path.join(root, `${key}.${process.pid}.${randomInt(1e9)}`);
  mkdirSync(work, { recursive: true });
  try {
    // A private, short-lived process on a test machine: the password on its command line is the test domain's.
    await runCommand(tools.sambaTool(), [
      'domain',
      'provision',
      `--targetdir=${work}`,
      `--realm=${REALM}`,
      `--domain=${DOMAIN}`,
      `--host-name=${HOST}`,
      '--server-role=dc',
      '--dns-backend=NONE',
      `--adminpass=${adminPassword}`,
    ]);
    const ous = ['people', 'groups'].map((ou) => `dn: OU=${ou},${BASE_DN}\nobjectClass: organizationalUnit\nou: ${ou}\n`).join('\n');
    await runCommand(tools.ldbadd(), ['-H', path.join(work, 'private', 'sam.ldb')], { input: ous });
    try {
      renameSync(work, template);
    } catch (e) {
      // Another process made the same template first.
      if (!existsSync(path.join(template, 'private', 'sam.ldb'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return template;
}

function smbConf(dataDir: string, address: string): string {
  const at = (p: string) => path.join(dataDir, p);
  return [
    '[global]',
    `netbios name = ${HOST}`,
    `realm = ${REALM}`,
    `workgroup = ${DOMAIN}`,
    'server role = active directory domain controller',
    'server services = ldap, cldap, kdc',
    `interfaces = ${address}/8`,
    'bind interfaces only = yes',
    // Simple binds over plain LDAP, for tests; a real AD wants LDAPS or signing.
    'ldap server require strong auth = no',
    `private dir = ${at('private')}`,
    `state directory = ${at('state')}`,
    `cache directory = ${at('cache')}`,
    `lock directory = ${at('lock')}`,
    `pid directory = ${at('run')}`,
    `ncalrpc dir = ${at('run/ncalrpc')}`,
    `binddns dir = ${at('bind-dns')}`,
    'logging = file',
    `log file = ${at('samba.log')}`,
    '',
  ].join('\n');
}

/** A loopback address nothing listens on at the LDAP port. */
async function freeLoopbackAddress(): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const address = `127.${randomInt(100, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (!(await isPortOpen(389, 300, address))) return address;
  }
  throw new Error('startSamba: found no free loopback address');
}

export async function startSamba(options: SambaOptions): Promise<SambaServer> {
  const dataDir = path.resolve(options.dataDir);
  const address = options.address ?? (await freeLoopbackAddress());
  if (!existsSync(path.join(dataDir, 'private', 'sam.ldb'))) {
    cpSync(await domainTemplate(options.adminPassword), dataDir, { recursive: true });
  }
  for (const dir of ['lock', 'run', 'cache', 'state']) mkdirSync(path.join(dataDir, dir), { recursive: true });
  const confFile = path.join(dataDir, 'etc', 'smb.conf');
  writeFileSync(confFile, smbConf(dataDir, address));
  const logFile = path.join(dataDir, 'samba.log');
  const url = `ldap://${address}`;
  const control = await startServer(
    { name: 'samba', command: tools.samba(), args: ['-F', '-M', 'single', '-s', confFile], logFile: path.join(dataDir, 'samba.out') },
    { probe: () => answersRootDse(url), what: `samba on ${url}`, timeoutMs: options.startTimeoutMs ?? 60_000 },
  );
  return {
    address,
    url,
    ldapsUrl: `ldaps://${address}`,
    tlsServerName: `${HOST}.${REALM.toLowerCase()}`,
    caFile: path.join(dataDir, 'private', 'tls', 'ca.pem'),
    realm: REALM,
    baseDn: BASE_DN,
    adminDn: `CN=Administrator,CN=Users,${BASE_DN}`,
    peopleDn: `OU=people,${BASE_DN}`,
    groupsDn: `OU=groups,${BASE_DN}`,
    dataDir,
    logFile,
    ...control,
  };
}
