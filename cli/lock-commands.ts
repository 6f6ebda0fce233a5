/**
 * `lock` (re-resolve every reference of every pipeline of a folder and rewrite the folder's
 * pipewright.lock) and `outdated` (each locked reference against what its selector and
 * `stable` resolve to now, with deprecations).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { compile, LOCKFILE_NAME, lockKey, lockPathFor, readLockfile, type Lockfile } from '../compiler/index.js';
import { RegistryError } from '../registry/client.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { lockGroup, lockGroups, reportGroup } from './lock-folder.js';
import { buildSources, type Sources } from './sources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface Flags {
  templates: string[];
  registry?: string;
  token?: string;
  json?: boolean;
}

interface LockFlags extends Flags {
  lockfile?: string;
  prune?: boolean;
  allowSunset?: boolean;
}

export function registerLockCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  const out = (s: string): void => void io.stdout.write(s + '\n');

  program
    .command('lock')
    .description("resolve every template reference of every pipeline of a folder again and rewrite the folder's pipewright.lock")
    .argument('[paths...]', 'pipeline files or folders (default: .); a file stands for every pipeline of its folder, a folder for every folder under it that holds pipelines', [])
    .option('-t, --templates <dir>', 'template folder (repeatable; local templates are not locked)', collect, [])
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--lockfile <file>', 'one lockfile for every pipeline found (default: pipewright.lock in each folder)')
    .option('--prune', 'drop entries that no pipeline of the folder uses')
    .option('--allow-sunset', 'allow template versions past their deprecation sunset date (a warning), as compile does')
    .option('--json', 'print each written lock as JSON')
    .action(async (paths: string[], opts: LockFlags) => {
      const groups = lockGroups(paths.length ? paths : ['.'], cwd, opts.lockfile);
      let failed = 0;
      const json: { lockfile: string; pipelines: string[]; lock: Lockfile; unused: string[] }[] = [];
      for (const g of groups) {
        const r = await lockGroup(g, opts, io);
        if (!r) {
          failed++;
          continue;
        }
        if (opts.json) json.push(r);
        else reportGroup(r, !!opts.prune, out);
      }
      if (opts.json) out(JSON.stringify(json, null, 2));
      if (failed) throw new ExitError(Exit.INVALID);
    });

  program
    .command('outdated')
    .description("each locked reference of a pipeline (or of every pipeline of a folder): locked version, newest in its range, stable, deprecation")
    .argument('<path>', 'a pipeline file (its own references only) or a folder (every entry of its pipewright.lock)')
    .option('-t, --templates <dir>', 'template folder (repeatable), when the pipeline uses local templates', collect, [])
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--lockfile <file>', 'lockfile path (default: pipewright.lock beside the pipeline, or in the folder)')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: Flags & { lockfile?: string }) => {
      const target = resolve(cwd, path);
      const isDir = isFolder(target, path);
      const lockPath = opts.lockfile ? resolve(cwd, opts.lockfile) : isDir ? join(target, LOCKFILE_NAME) : lockPathFor(target);
      let lock;
      try {
        lock = readLockfile(lockPath);
      } catch (e) {
        throw new ExitError(Exit.INVALID, (e as Error).message);
      }
      if (!lock) throw new ExitError(Exit.INVALID, `no ${lockPath}: run pipewright lock first`);
      const src = buildSources({ ...opts, ...(opts.lockfile ? { lockfile: opts.lockfile } : {}) }, isDir ? undefined : target, io);
      if (!src.client) throw new ExitError(Exit.INVALID, 'outdated needs a registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
      const own = isDir ? undefined : await referencesOf(target, src, io);
      const entries = Object.values(lock.templates).filter((e) => !own || own.has(lockKey(e.ref, e.selector)));
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

function isFolder(abs: string, shown: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    throw new ExitError(Exit.INVALID, `${shown}: no such file or folder`);
  }
}

/**
 * The lock keys one pipeline uses, nested references included: it is compiled through its
 * lock (locked versions asked for by exact version), which records every key it resolves.
 */
async function referencesOf(file: string, src: Sources, io: CliIO): Promise<Set<string>> {
  const result = await compile({ file, baseDir: io.cwd ?? process.cwd(), sources: src.sources, partial: true, allowSunset: true });
  if (!result.ok) {
    printDiagnostics(io, result.diagnostics.filter((d) => d.severity === 'error'));
    throw new ExitError(Exit.INVALID, 'the pipeline does not compile, so its references are not known');
  }
  return new Set(src.locked?.used.keys() ?? []);
}
