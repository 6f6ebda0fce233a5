/**
 * Running the registry: open the database, build the app, listen, and on `close()` stop
 * accepting, let in-flight requests finish, then close the database.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { openDatabase, type DB } from './db.js';
import { Store } from './store.js';

export interface ServeOptions {
  db: string;
  host?: string;
  port?: number;
  anonymousRead?: boolean;
  /** Express's `trust proxy`: believe X-Forwarded-Proto/-Host from these hops (off by default). */
  trustProxy?: boolean | number | string;
  log?: (line: string) => void;
}

export interface RunningRegistry {
  url: string;
  server: Server;
  db: DB;
  store: Store;
  /** Drains in-flight requests and closes the database; safe to call twice. */
  close(): Promise<void>;
}

export async function startRegistry(options: ServeOptions): Promise<RunningRegistry> {
  const db = openDatabase(options.db);
  const store = new Store(db);
  const app = createApp({ store, anonymousRead: !!options.anonymousRead, ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}), ...(options.log ? { log: options.log } : {}) });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 8080, host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 5000;
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => {
        db.close();
        resolve();
      });
      server.closeIdleConnections();
    }));
  return { url: `http://${shownHost}:${addr.port}`, server, db, store, close };
}
