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
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson } from './canonical.js';

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

/** Reads a lockfile; undefined when absent. Throws an Error with a readable message when malformed. */
export function readLockfile(path: string): Lockfile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const d = data as Partial<Lockfile>;
  if (!d || d.lockfileVersion !== LOCKFILE_VERSION || !d.templates || typeof d.templates !== 'object') {
    throw new Error(`${path}: not a pipewright lockfile of version ${LOCKFILE_VERSION}`);
  }
  for (const [k, e] of Object.entries(d.templates)) {
    if (!e || typeof e.ref !== 'string' || typeof e.version !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(String(e.digest)) || typeof e.selector !== 'string') {
      throw new Error(`${path}: entry ${k} is malformed`);
    }
  }
  return d as Lockfile;
}

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
  return `{${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}: ${canonicalJson(v)}`).join(', ')}}`;
}

/**
 * Writes a lockfile; returns false when the content did not change. The new text replaces the
 * old in one rename, so a reader (or a compile of the folder's other pipeline running beside
 * this one) never sees half a file.
 */
export function writeLockfile(path: string, lock: Lockfile): boolean {
  const text = formatLockfile(lock);
  let before: string | undefined;
  try {
    before = readFileSync(path, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === text) return false;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return true;
}


