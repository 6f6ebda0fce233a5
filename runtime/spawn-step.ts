/**
 * Starting a step's main process: detached (it leads its own process group), output fed
 * line by line to the step's log, `exited` settling once with its exit code or signal.
 * Shared by the host backend (the step itself) and the Docker backend (the docker CLI).
 *
 * A step ends when its main process exits, not when its output pipes close: a process that
 * escaped the group (`setsid`) may hold them for ever. `release` stops reading them once the
 * step is over and says which processes still held them.
 */
import { spawn } from 'node:child_process';
import { StartError, type Exit, type Handle } from './backend.js';
import { holdersOf, outputLinks, type Escapee, type OutputLinks } from './escaped.js';
import type { StepLog } from './logs.js';
import { processStartTime } from './process-group.js';

export interface Spawned {
  pid: number;
  startTime?: number;
  exited: Promise<Exit>;
  links: OutputLinks;
  /** Once the step is over: waits for its pipes to close, then says who else still held them. */
  release: (waitMs: number) => Promise<Escapee[]>;
}

/** Resolves after `ms`, or as soon as `p` settles; its timer never outlives it. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

export async function spawnLogged(
  bin: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv },
  log: StepLog,
  what: string,
): Promise<Spawned> {
  const child = spawn(bin, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let closed = false;
  const streamsClosed = new Promise<void>((r) => child.once('close', () => r()));
  void streamsClosed.then(() => (closed = true));
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (e) => {
      log.line(`pipewright: cannot start ${bin}: ${e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdout.on('data', (d: Buffer) => log.feed(d, 'out'));
  child.stderr.on('data', (d: Buffer) => log.feed(d, 'err'));
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw new StartError(`${what}: could not start ${bin}`);
  }
  // Read at once, while the child surely still holds them: who else holds them later escaped.
  const startTime = processStartTime(pid);
  const links = outputLinks(pid, [fdOf(child.stdout), fdOf(child.stderr)], startTime);
  const release = async (waitMs: number): Promise<Escapee[]> => {
    await within(streamsClosed, waitMs);
    if (closed) return [];
    const holders = holdersOf(links, pid);
    // Nobody else holds them (or they could not be read): output may still be draining.
    if (holders.length === 0) await within(streamsClosed, 2000);
    child.stdout.destroy();
    child.stderr.destroy();
    return holders;
  };
  return { pid, ...(startTime !== undefined ? { startTime } : {}), exited, links, release };
}

/** The fd of this process's end of a child's stdio pipe (libuv exposes it on Linux). */
function fdOf(stream: unknown): number | undefined {
  const fd = (stream as { _handle?: { fd?: unknown } } | null)?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** A Handle over a spawned step; `stop` says how this backend stops it. */
export function handleOf(s: Spawned, stop: (graceMs: number) => Promise<void>): Handle {
  return {
    pid: s.pid,
    pgid: s.pid,
    ...(s.startTime !== undefined ? { startTime: s.startTime } : {}),
    links: s.links,
    exited: s.exited,
    release: s.release,
    stop,
  };
}
