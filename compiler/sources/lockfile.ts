/**
 * `pipewright.lock`: which version and digest each (reference, selector) resolved to, for
 * every pipeline of the folder it sits in (as npm's lock serves every package of a project).
 *
 * The format's guarantees: JSON; entries sorted by key (`ref@selector`); one line per entry
 * with its fields sorted; a final newline. So the same set of entries is always the same
 * bytes, whatever order pipelines were compiled in, a change to one reference is a one-line
 * diff, and two branches that lock different references merge without touching each other's
 * lines (only the comma of a neighbour line can meet).
 */
import { lstatSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canonicalJson } from '../plan/canonical.js';
import { acquireGuard, guardPathFor, type GuardOptions } from './lockfile-guard.js';
import { LockfileError } from './lockfile-error.js';

export { LockfileError };

export const LOCKFILE_NAME = 'pipewright.lock';
export const LOCKFILE_VERSION = 1;

export interface LockEntry {
  ref: string;
  selector: string;
  version: string;
  digest: string;
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  templates: Record<string, LockEntry>;
}

export const lockKey = (ref: string, selector: string) => `${ref}@${selector}`;

/** The lock beside a pipeline file. */
export function lockPathFor(pipelineFile: string): string {
  return join(dirname(pipelineFile), LOCKFILE_NAME);
}

/**
 * Reads a lockfile; undefined when absent. Throws a LockfileError with a readable message
 * when it is malformed, a folder or unreadable.
 */
export function readLockfile(path: string): Lockfile | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LockfileError(`${path}: not valid JSON (${(e as Error).message})`, 'malformed');
  }
  const d = data as Partial<Lockfile>;
  if (!d || d.lockfileVersion !== LOCKFILE_VERSION || !d.templates || typeof d.templates !== 'object') {
    throw new LockfileError(`${path}: not a pipewright lockfile of version ${LOCKFILE_VERSION}`, 'malformed');
  }
  for (const [k, e] of Object.entries(d.templates)) {
    if (
      !e ||
      typeof e.ref !== 'string' ||
      typeof e.version !== 'string' ||
      !/^sha256:[0-9a-f]{64}$/.test(String(e.digest)) ||
      typeof e.selector !== 'string'
    ) {
      throw new LockfileError(`${path}: entry ${k} is malformed`, 'malformed');
    }
  }
  return d as Lockfile;
}

/** A file's text; undefined when it does not exist. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EISDIR') throw notALockfile(path);
    throw new LockfileError(`${path}: cannot be read (${(e as Error).message})`, 'unusable');
  }
}

const notALockfile = (path: string) => new LockfileError(`${path} is a folder, not a lockfile`, 'unusable');

/**
 * The lockfiles of a fleet, each read once: the pipelines of one folder share theirs. A
 * malformed lock is remembered as its error and thrown again for every pipeline beside it.
 */
export class LockfileReader {
  private readonly seen = new Map<string, Lockfile | Error | undefined>();

  /** The lock beside `pipelineFile`, as `readLockfile` reads it. */
  forPipeline(pipelineFile: string): Lockfile | undefined {
    const path = lockPathFor(pipelineFile);
    let lock = this.seen.get(path);
    if (lock === undefined && !this.seen.has(path)) {
      try {
        lock = readLockfile(path);
      } catch (e) {
        lock = e as Error;
      }
      this.seen.set(path, lock);
    }
    if (lock instanceof Error) throw lock;
    return lock;
  }
}

/**
 * `base` with `entries` added or replacing the entries of the same key; with `keep`, only the
 * keys it holds survive (`lock --prune`). Sorted by key.
 */
export function mergeLock(base: Lockfile | undefined, entries: Iterable<LockEntry>, keep?: ReadonlySet<string>): Lockfile {
  const all = new Map(Object.entries(base?.templates ?? {}));
  for (const e of entries) all.set(lockKey(e.ref, e.selector), e);
  const templates: Record<string, LockEntry> = {};
  for (const k of [...all.keys()].sort()) if (!keep || keep.has(k)) templates[k] = all.get(k)!;
  return { lockfileVersion: LOCKFILE_VERSION, templates };
}

/** The text of a lockfile: see the format's guarantees above. */
export function formatLockfile(lock: Lockfile): string {
  const keys = Object.keys(lock.templates).sort();
  const lines = keys.map((k, i) => `    ${JSON.stringify(k)}: ${entryLine(lock.templates[k]!)}${i < keys.length - 1 ? ',' : ''}`);
  const templates = lines.length ? `{\n${lines.join('\n')}\n  }` : '{}';
  return `{\n  "lockfileVersion": ${lock.lockfileVersion},\n  "templates": ${templates}\n}\n`;
}

/** One entry on one line, fields sorted: `{"digest": "...", "ref": "...", ...}`. */
function entryLine(e: LockEntry): string {
  const fields = { digest: e.digest, ref: e.ref, selector: e.selector, version: e.version };
  return `{${Object.entries(fields)
    .map(([k, v]) => `${JSON.stringify(k)}: ${canonicalJson(v)}`)
    .join(', ')}}`;
}

/**
 * Writes a lockfile; returns false when the content did not change. A symlinked lockfile is
 * written through the link (the file it points to is replaced, the link stays). The new text
 * replaces the old in one rename, so a reader never sees half a file; on failure no temporary
 * file is left behind. This alone does not stop two processes merging into the same lock at
 * once from losing each other's entries: `updateLockfile` does.
 */
export function writeLockfile(path: string, lock: Lockfile): boolean {
  const target = lockfileTarget(path);
  const text = formatLockfile(lock);
  if (readText(target) === text) return false;
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new LockfileError(`${path}: cannot be written (${(e as Error).message})`, 'unusable');
  }
  return true;
}

/**
 * The file a lockfile path stands for: symlinks followed (a dangling one to the file it would
 * create). A LockfileError when that is a folder.
 */
export function lockfileTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (st.isDirectory()) throw notALockfile(path);
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new LockfileError(`${path}: too many levels of symbolic links`, 'unusable');
}

/** How `updateLockfile` waits for the guard, and what it does with a malformed lock. */
export interface UpdateOptions extends GuardOptions {
  /** Treat a malformed lockfile as absent instead of throwing (`lock --prune` rewrites it). */
  replaceMalformed?: boolean;
}

/**
 * Read-merge-write of a lockfile, atomic across processes: under the guard `<lock>.lock`
 * (see `acquireGuard`), the lockfile is read again, `update` makes the next lock from
 * what is on disk now (undefined when absent), and it is written (tmp file + rename). So two
 * pipelines of a folder compiled at the same moment both keep their entries. Returns false
 * when the content did not change.
 */
export function updateLockfile(path: string, update: (current: Lockfile | undefined) => Lockfile, opts: UpdateOptions = {}): boolean {
  const target = lockfileTarget(path);
  const release = acquireGuard(guardPathFor(target), opts);
  try {
    let current: Lockfile | undefined;
    try {
      current = readLockfile(target);
    } catch (e) {
      if (!(opts.replaceMalformed && e instanceof LockfileError && e.kind === 'malformed')) throw e;
    }
    return writeLockfile(target, update(current));
  } finally {
    release();
  }
}
