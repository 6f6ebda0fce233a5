/**
 * `registry serve`, `registry init`, `registry backup` and `registry token create|list|revoke`.
 * The server side (express, SQLite) is loaded only when one of these commands runs, so other
 * commands start without it. Commands that administer an existing registry refuse a database file that is
 * not there: a typo must not make a new, empty registry.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DB, TokenInfo } from '../registry/index.js';
import { Exit, ExitError, type CliIO } from './io.js';

/** Opens the registry database at `given` (relative to `cwd`), which must exist; exit 2 when it does not or is not one. */
async function openExisting(cwd: string, given: string): Promise<DB> {
  return openRegistry(existingPath(cwd, given));
}

/** The absolute path of the registry database `given` (relative to `cwd`); exit 2 when there is no file there. */
function existingPath(cwd: string, given: string): string {
  const path = resolve(cwd, given);
  if (!exists(path))
    throw new ExitError(Exit.INVALID, `no registry database at ${path}; \`pipewright registry init --db ${given}\` creates one`);
  return path;
}

/** Whether there is a file at `path`; exit 2 when it is a folder. */
function exists(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new ExitError(Exit.INVALID, `${path} is a folder, not a registry database`);
  return st !== undefined;
}

/** Runs `fn` on the database file at `path`; what SQLite throws (not a database) is exit 2. */
function asRegistry<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ExitError(Exit.INVALID, `${path} is not a registry database (${(e as Error).message})`);
  }
}

/** Opens (creating when missing) the registry database at `path`; exit 2 when the file is something else. */
async function openRegistry(path: string): Promise<DB> {
  const { openDatabase } = await import('../registry/index.js');
  return asRegistry(path, () => openDatabase(path));
}

export function registerRegistryCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  const registry = program.command('registry').description('run and administer a template registry');

  registry
    .command('serve')
    .description('serve the registry API over a SQLite database')
    .option('--db <file>', 'SQLite database file (created when missing)', 'pipewright-registry.db')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--anonymous-read', 'allow reads without a token')
    .option(
      '--trust-proxy [hops]',
      'behind a reverse proxy that terminates TLS: believe its X-Forwarded-Proto/-Host (bare: any; a number: that many hops; else addresses or subnets)',
    )
    .action(async (opts: { db: string; host: string; port: string; anonymousRead?: boolean; trustProxy?: string | true }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ExitError(Exit.INVALID, `--port must be 0-65535, not ${opts.port}`);
      const { startRegistry } = await import('../registry/index.js');
      let running;
      try {
        running = await startRegistry({
          db: resolve(cwd, opts.db),
          host: opts.host,
          port,
          anonymousRead: !!opts.anonymousRead,
          ...(opts.trustProxy !== undefined ? { trustProxy: trustProxyOf(opts.trustProxy) } : {}),
          log: (l) => io.stderr.write(l + '\n'),
        });
      } catch (e) {
        throw new ExitError(Exit.INVALID, `cannot start the registry: ${(e as Error).message}`);
      }
      io.stdout.write(`pipewright registry listening on ${running.url}\n`);
      const code = await new Promise<number>((done) => {
        const stop = (sig: NodeJS.Signals) => {
          io.stderr.write(`${sig}: draining requests and closing the database\n`);
          void running.close().then(() => done(sig === 'SIGINT' ? Exit.SIGINT : Exit.SIGTERM));
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      throw new ExitError(code);
    });

  registry
    .command('init')
    .description('create a registry database (SQLite) with its schema; on an existing one, bring its schema up to date')
    .requiredOption('--db <file>', 'SQLite database file')
    .action(async (opts: { db: string }) => {
      const path = resolve(cwd, opts.db);
      if (exists(path)) {
        const { schemaVersionOf } = await import('../registry/index.js');
        const before = asRegistry(path, () => schemaVersionOf(path));
        const db = await openRegistry(path);
        const after = db.pragma('user_version', { simple: true }) as number;
        db.close();
        io.stdout.write(
          after === before
            ? `${opts.db} is already a registry database (schema version ${after}); nothing changed\n`
            : `${opts.db}: schema version ${before} → ${after}\n`,
        );
        return;
      }
      const db = await openRegistry(path);
      const version = db.pragma('user_version', { simple: true }) as number;
      db.close();
      io.stdout.write(`created a registry database at ${path} (schema version ${version})\n`);
    });

  registry
    .command('backup')
    .description('copy a registry database consistently (SQLite online backup), also while servers run and publish')
    .requiredOption('--db <file>', 'SQLite database file')
    .requiredOption('--to <file>', 'the backup file (written beside it, then renamed: never half written)')
    .option('--force', 'replace an existing backup file')
    .action(async (opts: { db: string; to: string; force?: boolean }) => {
      const source = existingPath(cwd, opts.db);
      const { backupDatabase, BackupRefused } = await import('../registry/index.js');
      let r;
      try {
        r = await backupDatabase(source, resolve(cwd, opts.to), { force: !!opts.force });
      } catch (e) {
        if (e instanceof BackupRefused) throw new ExitError(Exit.INVALID, e.message);
        throw e;
      }
      io.stdout.write(
        `backed up ${opts.db} to ${opts.to}: ${r.pages} pages, ${r.bytes} bytes, schema version ${r.schemaVersion}, in ${Math.round(r.ms)} ms\n`,
      );
    });

  const token = registry.command('token').description('manage API tokens (scopes: read < publish < admin)');
  token
    .command('create')
    .description('create a token; it is printed once and only its hash is stored')
    .requiredOption('--db <file>', 'SQLite database file')
    .requiredOption('--scope <scope>', 'read, publish or admin')
    .requiredOption('--name <name>', 'who or what uses the token')
    .option('--expires <duration>', 'refuse the token after this long: 30m, 12h, 90d (default: never)')
    .action(async (opts: { db: string; scope: string; name: string; expires?: string }) => {
      const { createToken, isScope, Store, parseExpiry } = await import('../registry/index.js');
      if (!isScope(opts.scope)) throw new ExitError(Exit.INVALID, `--scope must be read, publish or admin, not ${opts.scope}`);
      const ttl = opts.expires === undefined ? undefined : parseExpiry(opts.expires);
      if (opts.expires !== undefined && ttl === undefined)
        throw new ExitError(
          Exit.INVALID,
          `--expires must be a whole number of minutes, hours or days up to 3650d (30m, 12h, 90d), not '${opts.expires}'`,
        );
      const db = await openExisting(cwd, opts.db);
      try {
        const now = new Date();
        const expiresAt = ttl === undefined ? undefined : new Date(now.getTime() + ttl);
        const t = createToken(db, opts.name, opts.scope, now, expiresAt);
        new Store(db).record(`cli:${opts.name}`, 'token-create', {
          id: t.split('_')[1],
          name: opts.name,
          scope: opts.scope,
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
        });
        io.stdout.write(t + '\n');
      } finally {
        db.close();
      }
    });

  token
    .command('list')
    .description('list tokens: id, name, scope, created, expires, last used, status (never a secret)')
    .requiredOption('--db <file>', 'SQLite database file')
    .option('--json', 'print JSON')
    .action(async (opts: { db: string; json?: boolean }) => {
      const { listTokens } = await import('../registry/index.js');
      const db = await openExisting(cwd, opts.db);
      try {
        const tokens = listTokens(db);
        io.stdout.write(opts.json ? JSON.stringify(tokens, null, 2) + '\n' : tokenTable(tokens));
      } finally {
        db.close();
      }
    });

  token
    .command('revoke')
    .description('revoke a token by id (the part after pw_); running servers refuse it within a second')
    .argument('<id>', 'token id, as `token list` shows it')
    .requiredOption('--db <file>', 'SQLite database file')
    .action(async (id: string, opts: { db: string }) => {
      const { ApiError, revokeToken, Store, TOKEN_ID } = await import('../registry/index.js');
      if (!TOKEN_ID.test(id)) throw new ExitError(Exit.INVALID, `'${id}' is not a token id (12 hex digits, as in pw_<id>_…)`);
      const db = await openExisting(cwd, opts.db);
      try {
        const out = db.transaction(() => {
          const r = revokeToken(db, id);
          if (r.revoked) new Store(db).record('cli', 'token-revoke', { id, name: r.token.name });
          return r;
        })();
        const t = out.token;
        io.stdout.write(
          out.revoked
            ? `revoked ${t.id} (${t.name}, ${t.scope})\n`
            : `${t.id} (${t.name}, ${t.scope}) was already revoked at ${t.revokedAt}\n`,
        );
      } catch (e) {
        if (e instanceof ApiError) throw new ExitError(Exit.INVALID, e.message);
        throw e;
      } finally {
        db.close();
      }
    });
}

/** `token list` as an aligned table; times to the minute, UTC. */
function tokenTable(tokens: TokenInfo[]): string {
  const when = (iso: string | undefined) => (iso ? iso.slice(0, 16) + 'Z' : 'never');
  const rows = [
    ['ID', 'NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
    ...tokens.map((t) => [
      t.id,
      t.name,
      t.scope,
      when(t.createdAt),
      when(t.expiresAt),
      when(t.lastUsedAt),
      t.status === 'revoked' ? `revoked ${when(t.revokedAt)}` : t.status,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** `--trust-proxy` as express wants it: bare = true, digits = a hop count, else addresses. */
export function trustProxyOf(value: string | true): boolean | number | string {
  if (value === true) return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}
