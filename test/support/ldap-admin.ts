import type { ConnectionOptions } from 'node:tls';
import { Client as LdapClient } from 'ldapts';
import type { StackInfo } from './stack';

/** Runs `fn` on a connection bound as the stack directory's administrator (people's changes, not Tally's). */
export async function withLdapAdmin<T>(stack: { ldap: Pick<StackInfo['ldap'], 'url' | 'bindDn' | 'bindPassword'> }, fn: (c: LdapClient) => Promise<T>): Promise<T> {
  const client = new LdapClient({ url: stack.ldap.url });
  try {
    await client.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
    return await fn(client);
  } finally {
    await client.unbind();
  }
}

/** Whether a simple bind as `dn` with `password` succeeds (as the user would log in). */
export async function bindsAs(url: string, dn: string, password: string, tlsOptions?: ConnectionOptions): Promise<boolean> {
  const client = new LdapClient({ url, ...(tlsOptions ? { tlsOptions } : {}) });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
