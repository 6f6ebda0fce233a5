/**
 * `registry backup`: a consistent copy of a registry database while servers keep serving and
 * publishing. SQLite's online backup API (better-sqlite3's `db.backup`) copies the pages in
 * one step, that is inside one read transaction of the source: in WAL mode a reader sees one
 * committed state and never blocks writers, so the copy is the database as of one commit and
 * the servers go on meanwhile. (In small steps, a commit of another process between two steps
 * restarts the copy: with 100-page steps, 8 MiB took three times as long while three streams
 * published, and a registry busy enough would never let it finish.)
 *
 * The copy is written to a temporary file beside the destination, checked (`quick_check`),
 * given the database file's permissions, then renamed into place: the destination is either
 * the old file or the complete new copy, never half written.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

/** A backup this module will not make: something the user can fix (a path, `--force`). */
export class BackupRefused extends Error {}

export interface BackupResult {
  /** Pages copied, and the copy's size in bytes. */
  pages: number;
  bytes: number;
  /** The copy's schema version (`PRAGMA user_version`). */
  schemaVersion: number;
  /** Wall time of the whole backup (copy, check, rename), in milliseconds. */
  ms: number;
}

/** Pages per backup step: all of them, so the copy is one read transaction (see above). */
const ALL_PAGES = 0x7fffffff;

/** The files SQLite keeps beside a database while it is open (or after a crash). */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Copies the registry database `source` (which must exist) to `out`. Refuses (`BackupRefused`)
 * a source that is not a registry database, an `out` that exists (unless `force`), is a
 * folder, is the source itself, has SQLite side files beside it (open in some process), or
 * lies in a folder that does not exist or cannot be written.
 */
export async function backupDatabase(source: string, out: string, opts: { force?: boolean } = {}): Promise<BackupResult> {
  const started = performance.now();
  checkDestination(source, out, !!opts.force);
  const src = openSource(source);
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const progress = await src.backup(temp, { progress: () => ALL_PAGES });
    const schemaVersion = checkCopy(temp, source);
    chmodSync(temp, statSync(source).mode & 0o777); // what it holds is as private as the database
    renameSync(temp, out);
    syncFolder(dirname(out));
    return { pages: progress.totalPages, bytes: statSync(out).size, schemaVersion, ms: performance.now() - started };
  } finally {
    src.close();
    for (const f of [temp, ...SIDE_FILES.map((s) => temp + s)]) rmSync(f, { force: true });
  }
}

/** The checks on `out` before anything is written. */
function checkDestination(source: string, out: string, force: boolean): void {
  const folder = dirname(out);
  const folderStat = statSync(folder, { throwIfNoEntry: false });
  if (!folderStat?.isDirectory()) throw new BackupRefused(`${folder} is not a folder: the backup's folder must exist`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new BackupRefused(`cannot write in ${folder} (permission denied)`);
  }
  const outStat = statSync(out, { throwIfNoEntry: false });
  const sourceStat = statSync(source);
  const sameFile = outStat !== undefined && outStat.ino === sourceStat.ino && outStat.dev === sourceStat.dev;
  if (sameFile || join(realpathSync(folder), basename(out)) === realpathSync(source))
    throw new BackupRefused(`${out} is the database itself: back it up to another file`);
  if (outStat?.isDirectory()) throw new BackupRefused(`${out} is a folder; --to names the backup file`);
  if (outStat && !force) throw new BackupRefused(`${out} already exists; --force replaces it`);
  const open = SIDE_FILES.map((s) => out + s).filter((f) => statSync(f, { throwIfNoEntry: false }));
  if (open.length)
    throw new BackupRefused(
      `${open.join(' and ')} beside ${out}: a process has it open (or did not close it); stop that process before replacing it`,
    );
}

/** The source, opened to be read; `BackupRefused` when it is not a registry database. */
function openSource(source: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('templates', 'versions')").all();
    if (version < 1 || tables.length !== 2) throw new Error('no registry schema in it');
    return db;
  } catch (e) {
    db?.close();
    throw new BackupRefused(`${source} is not a registry database (${(e as Error).message})`);
  }
}

/** Checks the copy (`quick_check`) and answers its schema version; throws when it is not sound. */
function checkCopy(temp: string, source: string): number {
  const copy = new Database(temp, { fileMustExist: true });
  try {
    const rows = copy.pragma('quick_check') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length) throw new Error(`the copy of ${source} failed its check: ${problems.slice(0, 5).join('; ')}`);
    return copy.pragma('user_version', { simple: true }) as number;
  } finally {
    copy.close();
  }
}

/** Makes a rename in `folder` durable (best effort: not every file system allows it). */
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the copy is complete either way
  }
}
