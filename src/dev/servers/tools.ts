import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository root: src/dev/servers is three levels below it (also when compiled to dist/). */
function findRepoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const repoRoot = findRepoRoot();
export const toolsBinDir = path.join(repoRoot, '.tools', 'bin');

export class MissingToolError extends Error {
  constructor(tool: string, where: string) {
    super(`${tool} not found at ${where}: run make setup`);
    this.name = 'MissingToolError';
  }
}

function requirePath(tool: string, file: string): string {
  if (!existsSync(file)) throw new MissingToolError(tool, file);
  return file;
}

/** The newest PostgreSQL bin directory Debian installed (/usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base).filter((d) => existsSync(path.join(base, d, 'bin', 'initdb')))
    : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new MissingToolError('PostgreSQL initdb', `${base}/*/bin/initdb`);
  return path.join(base, majors[0], 'bin');
}

export const tools = {
  slapd: () => requirePath('slapd', '/usr/sbin/slapd'),
  slapadd: () => requirePath('slapadd', '/usr/sbin/slapadd'),
  ldapModuleDir: () => requirePath('OpenLDAP modules', '/usr/lib/ldap'),
  ldapSchemaDir: () => requirePath('OpenLDAP schemas', '/etc/ldap/schema'),
  samba: () => requirePath('samba (Debian samba-ad-dc)', '/usr/sbin/samba'),
  sambaTool: () => requirePath('samba-tool', '/usr/bin/samba-tool'),
  ldbadd: () => requirePath('ldbadd (Debian ldb-tools)', '/usr/bin/ldbadd'),
  initdb: () => requirePath('initdb', path.join(postgresBinDir(), 'initdb')),
  postgres: () => requirePath('postgres', path.join(postgresBinDir(), 'postgres')),
  mongod: () => requirePath('mongod', path.join(toolsBinDir, 'mongod')),
  temporal: () => requirePath('temporal CLI', path.join(toolsBinDir, 'temporal')),
  temporalTestServer: () =>
    requirePath('temporal-test-server', path.join(toolsBinDir, 'temporal-test-server')),
  /** schemathesis, the API test's OpenAPI conformance checker (a PyPI venv under .tools). */
  schemathesis: () => requirePath('schemathesis (st)', path.join(toolsBinDir, 'st')),
  /** The Python of scim2-tester's venv (PyPI, under .tools), for the SCIM service provider's compliance test. */
  scimTesterPython: () => requirePath('scim2-tester (its venv python)', path.join(repoRoot, '.tools', 'scim-tester-venv', 'bin', 'python')),
  /** Debian's prometheus (the observability test scrapes a running stack with it). */
  prometheus: () => requirePath('prometheus', '/usr/bin/prometheus'),
  /** scim2-server, the in-memory SCIM 2.0 service the SCIM connector's tests provision to (a PyPI venv under .tools). */
  scim2Server: () => requirePath('scim2-server', path.join(toolsBinDir, 'scim2-server')),
  /** Debian's chromium binary (not the /usr/bin/chromium wrapper script), for the browser tests. */
  chromium: () => requirePath('chromium', '/usr/lib/chromium/chromium'),
};
