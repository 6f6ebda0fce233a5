/**
 * `lock` (re-resolve every reference and rewrite pipewright.lock) and `outdated` (each locked
 * reference against what its selector and `stable` resolve to now, with deprecations).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compile, lockPathFor, readLockfile } from '../compiler/index.js';
import { RegistryError } from '../registry/client.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { buildSources } from './sources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface Flags {
  templates: string[];
  registry?: string;
  token?: string;
  json?: boolean;
}

export function registerLockCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  const out = (s: string): void => void io.stdout.write(s + '\n');

  program
    .command('lock')
    .description('resolve every template reference of a pipeline again and rewrite its pipewright.lock')
    .argument('<pipeline>')
    .option('-t, --templates <dir>', 'template folder (repeatable; local templates are not locked)', collect, [])
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--json', 'print the lock entries as JSON')
    .action(async (pipeline: string, opts: Flags) => {
      const file = resolve(cwd, pipeline);
      const src = buildSources(opts, file, io, { ignoreLock: true });
      if (!src.client) throw new ExitError(Exit.INVALID, 'lock needs a registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
      const result = await compile({ file, baseDir: cwd, sources: src.sources, partial: true, allowSunset: true });
      printDiagnostics(io, result.diagnostics.filter((d) => d.severity === 'error'));
      if (!result.ok) throw new ExitError(Exit.INVALID, 'the pipeline does not compile; the lock was not changed');
      const changed = src.saveLock();
      const lock = src.locked!.nextLock();
      if (opts.json) return out(JSON.stringify(lock, null, 2));
      for (const e of Object.values(lock.templates)) out(`${e.ref}@${e.selector || 'stable'} → ${e.version} ${e.digest}`);
      out(changed ? `wrote ${src.lockPath}` : `${src.lockPath} is up to date`);
    });

  program
    .command('outdated')
    .description('each locked reference: locked version, newest in its range, stable, deprecation')
    .argument('<pipeline>')
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--json', 'print JSON')
    .action(async (pipeline: string, opts: Omit<Flags, 'templates'>) => {
      const file = resolve(cwd, pipeline);
      const lockPath = lockPathFor(file);
      let lock;
      try {
        lock = readLockfile(lockPath);
      } catch (e) {
        throw new ExitError(Exit.INVALID, (e as Error).message);
      }
      if (!lock) throw new ExitError(Exit.INVALID, `no ${lockPath}: run pipewright lock first`);
      const src = buildSources(opts, file, io);
      if (!src.client) throw new ExitError(Exit.INVALID, 'outdated needs a registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
      const entries = Object.values(lock.templates);
      type Item = { ok: boolean; version?: string; deprecation?: { message: string; sunset?: string }; yanked?: boolean };
      let results: Item[];
      try {
        const requests = entries.flatMap((e) => [
          { ref: e.ref, selector: e.selector },
          { ref: e.ref, selector: '' },
          { ref: e.ref, selector: e.version },
        ]);
        results = (await src.client.request<{ results: Item[] }>('POST', '/api/v1/resolve', { requests })).body.results;
      } catch (e) {
        throw new ExitError(e instanceof RegistryError && e.status >= 400 && e.status < 500 ? Exit.INVALID : Exit.FAILURE, (e as Error).message);
      }
      const rows = entries.map((e, i) => {
        const [inRange, stable, locked] = [results[3 * i]!, results[3 * i + 1]!, results[3 * i + 2]!];
        const today = new Date().toISOString().slice(0, 10);
        const dep = locked.deprecation;
        const status = locked.yanked ? 'yanked' : dep ? (dep.sunset && dep.sunset < today ? `past sunset ${dep.sunset}` : `deprecated${dep.sunset ? ` (sunset ${dep.sunset})` : ''}`) : inRange.version !== e.version ? 'update in range' : 'ok';
        return { ref: e.ref, selector: e.selector || 'stable', locked: e.version, inRange: inRange.version ?? '-', stable: stable.version ?? '-', status, ...(dep ? { deprecation: dep } : {}) };
      });
      if (opts.json) return out(JSON.stringify(rows, null, 2));
      out(['reference', 'selector', 'locked', 'in range', 'stable', 'status'].map((h, i) => h.padEnd([32, 12, 10, 10, 10, 0][i]!)).join(' '));
      for (const r of rows) out(`${r.ref.padEnd(32)} ${r.selector.padEnd(12)} ${r.locked.padEnd(10)} ${r.inRange.padEnd(10)} ${r.stable.padEnd(10)} ${r.status}${r.deprecation ? `: ${r.deprecation.message}` : ''}`);
    });
}
