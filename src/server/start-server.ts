import type { AddressInfo } from 'node:net';
import type { Runtime } from '../runtime';
import { createServerApp } from './app';

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts `metalayer server`. Without any login configured it listens on 127.0.0.1 only, whatever
 * host was asked for, and says so: an open Bull Board can delete jobs.
 */
export async function startServer(rt: Runtime, opts: { port: number; host?: string }): Promise<RunningServer> {
  const open = rt.config.users.length === 0;
  const host = open ? '127.0.0.1' : (opts.host ?? '0.0.0.0');
  if (open) {
    rt.logger.warn(
      { host },
      'no login configured (METALAYER_ADMIN_USER/METALAYER_ADMIN_PASSWORD): Bull Board and the API are open, so the server listens on 127.0.0.1 only',
    );
  }
  const { app, close } = createServerApp(rt);
  const server = app.listen(opts.port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  rt.logger.info({ url, board: `${url}/admin/queues`, logins: rt.config.users.map((u) => `${u.name} (${u.role})`) }, 'server listening');
  return {
    url,
    host,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await close();
    },
  };
}
