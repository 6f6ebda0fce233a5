/**
 * `pipewright lock` over folders: every pipeline of a folder shares the folder's
 * `pipewright.lock`, so locking is done per folder. Each pipeline is compiled exactly as
 * `compile` compiles it (sunset, yanked and deprecation rules, the same diagnostics), but with
 * every reference resolved afresh; the folder's lock is written only when all its pipelines
 * compile, and keeps entries no pipeline uses unless `--prune`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findPipelines } from '../audit/index.js';
import { compile, displayPath, lockPathFor, mergeLock, type Lockfile } from '../compiler/index.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, isFolder, type CliIO } from './io.js';
import { buildSources, updateLockfileOrExit } from './sources.js';

/** One lockfile and the pipelines it serves. */
export interface LockGroup {
  lockPath: string;
  files: string[];
}

/** What locking one folder did. */
export interface LockedGroup {
  lockfile: string;
  pipelines: string[];
  lock: Lockfile;
  /** Keys of entries no pipeline of the folder uses (dropped with --prune, kept otherwise). */
  unused: string[];
  changed: boolean;
}

interface GroupFlags {
  templates: string[];
  registry?: string;
  token?: string;
  prune?: boolean;
  allowSunset?: boolean;
}

/**
 * The lockfiles to write for the paths: a pipeline file stands for every pipeline of its
 * folder; a folder for every folder under it that holds pipelines (searched as `audit`
 * searches). With `lockfile`, one group at that path. Exit 2 for a path that does not exist
 * or holds no pipeline.
 */
export function lockGroups(paths: string[], cwd: string, lockfile?: string): LockGroup[] {
  const byLock = new Map<string, Set<string>>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const isDir = isFolder(abs, p);
    // A file stands for the pipelines of its own folder: that folder's YAML files, not below.
    const found = findPipelines(isDir ? [abs] : yamlFilesIn(dirname(abs))).files;
    if (!isDir && !found.includes(abs)) throw new ExitError(Exit.INVALID, `${p}: not a pipeline (no 'pipeline:' root)`);
    if (found.length === 0) throw new ExitError(Exit.INVALID, `${p}: no pipeline found`);
    for (const f of found) {
      const lockPath = lockfile ? resolve(cwd, lockfile) : lockPathFor(f);
      byLock.set(lockPath, (byLock.get(lockPath) ?? new Set()).add(f));
    }
  }
  return [...byLock].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lockPath, files]) => ({ lockPath, files: [...files].sort() }));
}

/** The YAML files directly in `dir` (no sub-folders). */
function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.isDirectory() && /\.ya?ml$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * Compiles every pipeline of a group afresh (the existing lock is not consulted), prints the
 * diagnostics as `compile` does, and merges what they used into the lock (read and written
 * under its guard, see `updateLockfile`). Undefined (nothing written) when a pipeline does
 * not compile.
 */
export async function lockGroup(group: LockGroup, flags: GroupFlags, io: CliIO): Promise<LockedGroup | undefined> {
  const cwd = io.cwd ?? process.cwd();
  const src = buildSources(flags, group.files[0], io, { ignoreLock: true });
  if (!src.client) throw new ExitError(Exit.INVALID, 'lock needs a registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
  const broken: string[] = [];
  for (const file of group.files) {
    const result = await compile({ file, baseDir: cwd, sources: src.sources, partial: true, allowSunset: !!flags.allowSunset });
    printDiagnostics(io, result.diagnostics);
    if (!result.ok) broken.push(displayPath(file, cwd));
  }
  const shown = displayPath(group.lockPath, cwd);
  if (broken.length) {
    io.stderr.write(`${shown} not changed: ${broken.join(', ')} ${broken.length === 1 ? 'does' : 'do'} not compile\n`);
    return undefined;
  }
  const used = new Set(src.locked!.used.keys());
  let lock: Lockfile = mergeLock(undefined, []);
  let unused: string[] = [];
  // The lock on disk is read under its guard, so a compile of the folder running meanwhile
  // keeps the entries it adds.
  const changed = updateLockfileOrExit(
    group.lockPath,
    (base) => {
      unused = Object.keys(base?.templates ?? {}).filter((k) => !used.has(k));
      lock = mergeLock(base, src.locked!.used.values(), flags.prune ? used : undefined);
      return lock;
    },
    { replaceMalformed: !!flags.prune },
    '(lock --prune rewrites it from the pipelines)',
  );
  return { lockfile: shown, pipelines: group.files.map((f) => displayPath(f, cwd)), lock, unused, changed };
}

/** The lines `lock` prints for one folder. */
export function reportGroup(r: LockedGroup, pruned: boolean, out: (line: string) => void): void {
  for (const e of Object.values(r.lock.templates)) out(`${e.ref}@${e.selector || 'stable'} → ${e.version} ${e.digest}`);
  const pipelines = `${r.pipelines.length} pipeline${r.pipelines.length === 1 ? '' : 's'}: ${r.pipelines.join(', ')}`;
  out(r.changed ? `wrote ${r.lockfile} (${pipelines})` : `${r.lockfile} is up to date (${pipelines})`);
  if (!r.unused.length) return;
  if (pruned) out(`dropped ${r.unused.join(', ')} (no pipeline uses ${r.unused.length === 1 ? 'it' : 'them'})`);
  else
    out(
      `${r.unused.length} ${r.unused.length === 1 ? 'entry' : 'entries'} no pipeline uses: ${r.unused.join(', ')} (lock --prune drops ${r.unused.length === 1 ? 'it' : 'them'})`,
    );
}
