/**
 * Processes that escaped their step's process group (`setsid`, a daemon's double fork): found
 * in /proc by the output pipes they still hold, or by the run's marker in their environment
 * (`PIPEWRIGHT_RUN_ID`, with `PIPEWRIGHT_STEP_ID` naming the step). Linux only; elsewhere
 * nothing is found and the process group remains the only boundary.
 *
 * Only processes of this pid namespace are considered (a container's processes belong to the
 * Docker backend, which removes its containers itself), never this process itself.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { processStartTime } from './process-group.js';

/** A process outside its step's group, by pid and command name (`/proc/PID/comm`). */
export interface Escapee {
  pid: number;
  name: string;
}

/** An escapee found by the run marker, with the step its environment names. */
export interface MarkedProcess extends Escapee {
  step: string;
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

const ownNamespace = readLink('/proc/self/ns/pid');

/** Numeric /proc entries other than this process. */
function candidates(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    const pid = Number(e);
    if (pid !== process.pid) out.push(pid);
  }
  return out;
}

/** True when `pid` lives in this process's pid namespace (not in a container). */
function sameNamespace(pid: number): boolean {
  return ownNamespace === undefined || readLink(`/proc/${pid}/ns/pid`) === ownNamespace;
}

/** The command name of a process, or `?`. */
export function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** The state letter of a process (`R`, `S`, `Z`, ...), undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/**
 * What identifies a step's output pipes: the links (`socket:[123]`, `pipe:[456]`) of its
 * stdout and stderr, read right after it is spawned. A step that ended within microseconds
 * has no fds left to read; then the links are derived from this process's own ends of the
 * socket pairs (Node's stdio pipes), whose peers the kernel numbers next (`socket:[N+1]`),
 * and only processes started after the step count as holders.
 */
export interface OutputLinks {
  links: string[];
  /** Holders must have started at or after this (clock ticks since boot), when derived. */
  notBefore?: number;
}

export function outputLinks(pid: number, ownFds: (number | undefined)[], startTime: number | undefined): OutputLinks {
  const links = [1, 2]
    .map((fd) => readLink(`/proc/${pid}/fd/${fd}`))
    .filter((l): l is string => l !== undefined && /^(socket|pipe):/.test(l));
  if (links.length) return { links };
  const derived: string[] = [];
  for (const fd of ownFds) {
    const m = fd === undefined ? null : /^socket:\[(\d+)\]$/.exec(readLink(`/proc/self/fd/${fd}`) ?? '');
    if (m) derived.push(`socket:[${Number(m[1]) + 1}]`);
  }
  return startTime === undefined ? { links: [] } : { links: derived, notBefore: startTime };
}

/** Live processes, not in process group `pgid`, holding any of `links` open. */
export function holdersOf({ links, notBefore }: OutputLinks, pgid: number): Escapee[] {
  if (links.length === 0) return [];
  const wanted = new Set(links);
  const out: Escapee[] = [];
  for (const pid of candidates()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    if (!fds.some((fd) => wanted.has(readLink(`/proc/${pid}/fd/${fd}`) ?? ''))) continue;
    if (groupOf(pid) === pgid || state(pid) === 'Z' || !sameNamespace(pid)) continue;
    if (notBefore !== undefined && (processStartTime(pid) ?? 0) < notBefore) continue;
    out.push({ pid, name: commandName(pid) });
  }
  return out;
}

function groupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/**
 * Live processes whose environment carries `PIPEWRIGHT_RUN_ID=runId` (and, with `steps`, a
 * `PIPEWRIGHT_STEP_ID` among them). Environments of other users' processes are unreadable to
 * a non-root runner, which cannot signal them either.
 */
export function markedProcesses(runId: string, steps?: ReadonlySet<string>): MarkedProcess[] {
  const marker = Buffer.from(`PIPEWRIGHT_RUN_ID=${runId}\0`);
  const out: MarkedProcess[] = [];
  for (const pid of candidates()) {
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    const at = env.indexOf(marker);
    if (at < 0 || (at > 0 && env[at - 1] !== 0)) continue;
    const step = stepOf(env);
    if (steps && (step === undefined || !steps.has(step))) continue;
    if (state(pid) === 'Z' || !sameNamespace(pid)) continue;
    out.push({ pid, name: commandName(pid), step: step ?? '?' });
  }
  return out;
}

function stepOf(env: Buffer): string | undefined {
  const key = Buffer.from('PIPEWRIGHT_STEP_ID=');
  let at = env.indexOf(key);
  while (at > 0 && env[at - 1] !== 0) at = env.indexOf(key, at + 1);
  if (at < 0) return undefined;
  const end = env.indexOf(0, at);
  return env.subarray(at + key.length, end < 0 ? env.length : end).toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops single processes: SIGTERM, up to `graceMs`, then SIGKILL to those still alive
 * (`killOnly`: SIGKILL at once, for what came back after a SIGTERM). A pid is signalled again
 * only while its start time is the one seen first (no pid reuse).
 */
export async function stopProcesses(pids: number[], graceMs: number, opts: { killOnly?: boolean } = {}): Promise<void> {
  const started = new Map(pids.map((pid) => [pid, processStartTime(pid)]));
  const same = (pid: number) => started.get(pid) !== undefined && processStartTime(pid) === started.get(pid) && state(pid) !== 'Z';
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      if (same(pid)) process.kill(pid, sig);
    } catch {
      // gone meanwhile
    }
  };
  if (!opts.killOnly) for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = opts.killOnly ? 0 : Date.now() + graceMs;
  let wait = 5;
  while (pids.some(same) && Date.now() < deadline) {
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (let i = 0; i < 50 && pids.some(same); i++) await sleep(10);
}
