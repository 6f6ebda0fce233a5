/**
 * A guard file for a read-merge-write across processes: created with 'wx' (holding pid, host
 * and time), waited for in short sleeps while another process holds it, taken over when its
 * holder is gone or it is too old. Used by `updateLockfile` as `pipewright.lock.lock`.
 */
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockfileError } from './lockfile-error.js';

/** The guard beside a lockfile: `pipewright.lock.lock`. */
export const guardPathFor = (lockPath: string): string => `${lockPath}.lock`;

/** How long to wait for a guard, and when one is stale. */
export interface GuardOptions {
  /** Give up (a `busy` LockfileError) after this long; default 10 s. */
  timeoutMs?: number;
  /** A guard older than this is stale, whoever holds it; default 30 s. */
  staleMs?: number;
}

/** What a guard file holds: who created it, where, and when (ms since the epoch). */
interface GuardHolder {
  pid: number;
  host: string;
  time: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (the critical section is synchronous, so waiting is too). */
const sleepSync = (ms: number): void => void Atomics.wait(pause, 0, 0, ms);

/**
 * Takes the guard `guard` (created with 'wx', holding pid, host and time), waiting in short
 * sleeps while another process holds it. A guard whose process is no longer alive on this
 * host, or older than `staleMs`, is stale and taken over. After `timeoutMs`, a `busy`
 * LockfileError naming the guard. Returns the release function (which removes the guard only
 * while it is still this process's).
 */
export function acquireGuard(guard: string, opts: GuardOptions = {}): () => void {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() } satisfies GuardHolder);
    if (createGuard(guard, mine)) return () => releaseGuard(guard, mine);
    if (takeOverStale(guard, opts.staleMs ?? 30_000)) continue;
    if (Date.now() >= deadline) throw busy(guard, timeoutMs);
    sleepSync(5 + Math.floor(Math.random() * 20));
  }
}

/** Creates the guard; false when it exists. */
function createGuard(guard: string, content: string): boolean {
  try {
    writeFileSync(guard, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new LockfileError(`${guard}: cannot be created (${(e as Error).message})`, 'unusable');
  }
}

/**
 * Removes a stale guard; true when it is gone (take it now). It is first renamed aside and
 * compared, so a fresh guard created by another process in between is put back, not removed.
 */
function takeOverStale(guard: string, staleMs: number): boolean {
  const seen = guardText(guard);
  if (seen === undefined) return true;
  if (!isStale(guard, seen, staleMs)) return false;
  const aside = `${guard}.${process.pid}.stale`;
  try {
    renameSync(guard, aside);
  } catch {
    return true;
  }
  const moved = guardText(aside);
  if (moved !== seen) {
    try {
      linkSync(aside, guard);
    } catch {
      // Another process created a guard meanwhile; it holds the lock now.
    }
  }
  rmSync(aside, { force: true });
  return moved === seen;
}

/** A guard is stale when its process is gone from this host or it is older than `staleMs`. */
function isStale(guard: string, text: string, staleMs: number): boolean {
  const holder = parseHolder(text);
  if (holder && holder.host === hostname() && !isAlive(holder.pid)) return true;
  let time = holder?.time;
  if (time === undefined) {
    try {
      time = statSync(guard).mtimeMs;
    } catch {
      return true;
    }
  }
  return Date.now() - time > staleMs;
}

function parseHolder(text: string): GuardHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<GuardHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.time === 'number' ? (h as GuardHolder) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function guardText(guard: string): string | undefined {
  try {
    return readFileSync(guard, 'utf8');
  } catch {
    return undefined;
  }
}

function releaseGuard(guard: string, mine: string): void {
  if (guardText(guard) === mine) rmSync(guard, { force: true });
}

function busy(guard: string, timeoutMs: number): LockfileError {
  const h = parseHolder(guardText(guard) ?? '');
  const who = h ? `held by process ${h.pid} on ${h.host} since ${new Date(h.time).toISOString()}` : 'held by another process';
  return new LockfileError(
    `${guard} is ${who}; gave up after ${timeoutMs / 1000} s (remove the file if no pipewright process is running)`,
    'busy',
  );
}
