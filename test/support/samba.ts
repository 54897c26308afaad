import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSamba, type SambaServer } from '../../src/dev/servers';
import { runCommand } from '../../src/dev/servers/process';
import { tools } from '../../src/dev/servers/tools';
import { bindsAs, withLdapAdmin } from './ldap-admin';

/**
 * The test domain's Administrator password (AD wants a complex one). Fixed, so every test file starts from
 * the one domain template this machine provisioned; the domain listens on a private loopback address only.
 */
export const SAMBA_ADMIN_PASSWORD = 'Tally-test-AD-2026!';

/** A private Samba AD DC for one test file (the contract stops and restarts it); `close` stops it and removes its data. */
export async function startTestSamba(): Promise<{ server: SambaServer; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-samba-'));
  const server = await startSamba({ dataDir, adminPassword: SAMBA_ADMIN_PASSWORD });
  return {
    server,
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Adds the LDIF's entries straight into the stopped domain's database (ldbadd: 1,000 users in about 3 s,
 * where LDAP adds take 5 to 40 ms each), then starts the server again on its address.
 */
export async function addWhileStopped(server: SambaServer, ldif: string): Promise<void> {
  await server.stop();
  try {
    await runCommand(tools.ldbadd(), ['-H', path.join(server.dataDir, 'private', 'sam.ldb')], { input: ldif });
  } finally {
    await server.restart();
  }
}

/** Runs `fn` on a plain-LDAP connection bound as the domain's Administrator (people's changes, not Tally's). */
export function withSambaAdmin<T>(server: SambaServer, fn: Parameters<typeof withLdapAdmin<T>>[1]): Promise<T> {
  return withLdapAdmin({ ldap: { url: server.url, bindDn: server.adminDn, bindPassword: SAMBA_ADMIN_PASSWORD } }, fn);
}

/** Whether a user can bind to the domain over LDAPS with this password. */
export function bindsToSamba(server: SambaServer, dn: string, password: string): Promise<boolean> {
  return bindsAs(server.ldapsUrl, dn, password, { rejectUnauthorized: false });
}

/** examples/ad/ad.yaml pointed at this domain controller (its Administrator's password in TALLY_AD_PASSWORD). */
export function adResourceYaml(server: SambaServer): string {
  return readFileSync(path.join(__dirname, '..', '..', 'examples', 'ad', 'ad.yaml'), 'utf8')
    .replace('ldaps://dc1.example.com', server.ldapsUrl)
    .replace('caFile: /etc/tally/ad-ca.pem', `caFile: ${server.caFile}\n  tlsServerName: ${server.tlsServerName}`)
    .replace('CN=tally,OU=service,DC=example,DC=com', server.adminDn)
    .replaceAll('DC=example,DC=com', server.baseDn)
    .replaceAll('@example.com', '@tally.test');
}
