/**
 * Starting a step's main process: detached (it leads its own process group), output fed
 * line by line to the step's log, `exited` settling once with its exit code or signal.
 * Shared by the host backend (the step itself) and the Docker backend (the docker CLI).
 */
import { spawn } from 'node:child_process';
import { StartError, type Exit, type Handle } from './backend.js';
import type { StepLog } from './logs.js';
import { processStartTime } from './process-group.js';

export interface Spawned {
  pid: number;
  startTime?: number;
  exited: Promise<Exit>;
}

export async function spawnLogged(bin: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }, log: StepLog, what: string): Promise<Spawned> {
  const child = spawn(bin, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => {
    let done = false;
    child.once('error', (e) => {
      log.line(`pipewright: cannot start ${bin}: ${e.message}`);
      if (!done) resolve({ code: 127, signal: null });
      done = true;
    });
    child.once('close', (code, signal) => {
      if (!done) resolve({ code, signal });
      done = true;
    });
  });
  child.stdout!.on('data', (d: Buffer) => log.feed(d, 'out'));
  child.stderr!.on('data', (d: Buffer) => log.feed(d, 'err'));
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw new StartError(`${what}: could not start ${bin}`);
  }
  const startTime = processStartTime(pid);
  return { pid, ...(startTime !== undefined ? { startTime } : {}), exited };
}

/** A Handle over a spawned step; `stop` says how this backend stops it. */
export function handleOf(s: Spawned, stop: (graceMs: number) => Promise<void>): Handle {
  return { pid: s.pid, pgid: s.pid, ...(s.startTime !== undefined ? { startTime: s.startTime } : {}), exited: s.exited, stop };
}
