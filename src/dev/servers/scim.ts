/**
 * scim2-server (PyPI), an in-memory SCIM 2.0 service with RFC 7643's User, Group and enterprise schemas,
 * bearer tokens, ETags, filters, paging and PATCH: what the SCIM connector's tests provision to. Its users
 * live in memory: a restart starts empty.
 */
import { freePort, retryOnPortClash } from './ports';
import { startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface ScimServerOptions {
  /** The bearer token it accepts (a test server's: it stands on its command line). */
  token: string;
  logFile: string;
  /** Picked free when not given. */
  port?: number;
  /** A JSON file of the ServiceProviderConfig it announces (and pages as it says). @default every feature but cursor paging */
  serviceProviderConfig?: string;
  startTimeoutMs?: number;
}

export interface ScimServer extends ServerControl {
  readonly port: number;
  /** The SCIM root: `${url}/Users`, `${url}/ServiceProviderConfig`. */
  readonly url: string;
  readonly logFile: string;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ServiceProviderConfig`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

export function startScimServer(options: ScimServerOptions): Promise<ScimServer> {
  return retryOnPortClash(options, async (o) => {
    const port = o.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const control = await startServer(
      { name: 'scim2-server', command: tools.scim2Server(), args: ['--hostname', '127.0.0.1', '--port', String(port), '--bearer-token', o.token, ...(o.serviceProviderConfig ? ['--service-provider-config', o.serviceProviderConfig] : [])], logFile: o.logFile },
      { probe: () => answers(url), what: `scim2-server on ${url}`, timeoutMs: o.startTimeoutMs ?? 30_000 },
    );
    return { port, url, logFile: o.logFile, ...control };
  });
}
