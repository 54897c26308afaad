import net from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, timeoutMs = 1000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const portClash = /address already in use|EADDRINUSE|errno=98/i;

/**
 * freePort() can't reserve the port: between picking it and the server binding it, another process may
 * take it. When the caller let us pick the port, a start that failed on a taken port is tried again.
 */
export async function retryOnPortClash<O extends { port?: number }, T>(options: O, start: (options: O) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(options);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (options.port !== undefined || attempt >= attempts || !portClash.test(message)) throw e;
    }
  }
}
