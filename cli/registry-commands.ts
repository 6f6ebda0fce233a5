/**
 * `registry serve` and `registry token create`. The server side (express, SQLite) is loaded
 * only when one of these commands runs, so other commands start without it.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Exit, ExitError, type CliIO } from './io.js';

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
    .action(async (opts: { db: string; host: string; port: string; anonymousRead?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ExitError(Exit.INVALID, `--port must be 0-65535, not ${opts.port}`);
      const { startRegistry } = await import('../registry/index.js');
      let running;
      try {
        running = await startRegistry({ db: resolve(cwd, opts.db), host: opts.host, port, anonymousRead: !!opts.anonymousRead, log: (l) => io.stderr.write(l + '\n') });
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

  const token = registry.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create a token; it is printed once and only its hash is stored')
    .requiredOption('--db <file>', 'SQLite database file')
    .requiredOption('--scope <scope>', 'read, publish or admin')
    .requiredOption('--name <name>', 'who or what uses the token')
    .action(async (opts: { db: string; scope: string; name: string }) => {
      const { createToken, isScope, openDatabase, Store } = await import('../registry/index.js');
      if (!isScope(opts.scope)) throw new ExitError(Exit.INVALID, `--scope must be read, publish or admin, not ${opts.scope}`);
      const db = openDatabase(resolve(cwd, opts.db));
      try {
        const t = createToken(db, opts.name, opts.scope);
        new Store(db).record(`cli:${opts.name}`, 'token-create', { name: opts.name, scope: opts.scope });
        io.stdout.write(t + '\n');
      } finally {
        db.close();
      }
    });
}
