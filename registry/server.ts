/**
 * Running the registry: open the database, build the app, listen, and on `close()` stop
 * accepting, let in-flight requests finish, then close the database. Errors of Node's HTTP
 * parser, which never reach express, are answered here in the error table's shape.
 */
import { STATUS_CODES, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApp } from './app.js';
import { openDatabase, type DB } from './db.js';
import { clientErrorOf } from './errors.js';
import { preparePublish } from './publish.js';
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

/**
 * A template that touches every lazily loaded part of a publish (YAML reader, schema
 * validators, the isolation compile, Handlebars, RE2's WebAssembly), prepared once before
 * the server listens: the first publish otherwise blocked the event loop for about 90 ms
 * while they loaded, and every request waited.
 */
const WARM_UP = `template:
  name: warm up
  identifier: pipewright_warm_up
  versionLabel: "0.0.0"
  type: Step
  inputs:
    name: {type: string, regex: "^[a-z]+$", default: abc}
  spec:
    type: Run
    timeout: <+input>.regex(^[0-9]+s$).default(5s)
    spec:
      shell: Sh
      command: echo {{inputs.name}}
`;

/** Prepares (never stores) the warm-up template; a failure only means a slower first publish. */
async function warmUp(store: Store): Promise<void> {
  try {
    await preparePublish(store, 'account.pipewright_warm_up', '0.0.0', { yaml: WARM_UP });
  } catch {
    // not fatal
  }
}

export async function startRegistry(options: ServeOptions): Promise<RunningRegistry> {
  const db = openDatabase(options.db);
  const store = new Store(db);
  await warmUp(store);
  const app = createApp({
    store,
    anonymousRead: !!options.anonymousRead,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 calls back with the listen error too (then there is no address).
      const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (e) {
    db.close();
    throw new Error(listenProblem(e as NodeJS.ErrnoException, host, port));
  }
  server.keepAliveTimeout = 5000;
  server.on('clientError', clientErrorHandler());
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

/** What a failed listen means, in words: a port in use or not allowed, an address this machine does not have. */
function listenProblem(e: NodeJS.ErrnoException, host: string, port: number): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (another registry? choose one with --port)`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges this process does not have (use a port above 1023)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (--host)`;
    default:
      return `cannot listen on ${host}:${port}: ${e.message}`;
  }
}

/** How long a connection answered after a parser error may stay open for the peer to read. */
const LINGER_MS = 2000;

/**
 * A `clientError` listener: answers an error of Node's HTTP parser (a malformed request line,
 * header or chunk, headers over the size limit, a request timeout; see `clientErrorOf`) with
 * the table's status and `{error: {code, message}}`, `Connection: close`, then ends the
 * connection (destroyed after LINGER_MS if the peer keeps its side open). It writes nothing,
 * and destroys the socket, when the socket cannot take it (reset, not writable) or when a
 * response on it has already begun (its bytes would be corrupted). The parser reports an
 * error again for every later chunk of the same connection; a socket is answered once.
 */
export function clientErrorHandler(): (err: Error & { code?: string }, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  return (err, socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    // The response in flight on this socket, as Node's own default handler checks it.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const e = clientErrorOf(err);
    const body = JSON.stringify({ error: { code: e.code, message: e.message } });
    socket.end(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
