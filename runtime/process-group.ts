/**
 * Child processes in their own process group, so a step and everything it spawned can be
 * stopped together: SIGTERM to the group, a grace period, then SIGKILL. Start times come from
 * /proc, so `gc` can tell a recorded process from one that merely reuses its pid.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks since boot at which `pid` started (field 22 of /proc/pid/stat), or undefined. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Pids whose process group is `pgid`, with their start times and states (Linux /proc). */
export function groupMembers(pgid: number): { pid: number; start: number; state: string }[] {
  const out: { pid: number; start: number; state: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push({ pid: Number(e), start: Number(fields[19]), state: fields[0]! });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const hasProc = existsSync('/proc/self/stat');

/**
 * True while any process of the group is alive. Zombies do not count: an orphaned child whose
 * parent died is reaped by init whenever init gets to it, but it is already gone.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return hasProc ? groupMembers(pgid).some((m) => m.state !== 'Z') : true;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a process group: SIGTERM, up to `graceMs` for every member to exit, then SIGKILL.
 * Resolves once no member is left (or after a short wait past SIGKILL).
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
  if (!groupAlive(pgid)) return 'gone';
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let wait = 5;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return 'terminated';
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 100 && groupAlive(pgid); i++) await sleep(10);
  return 'killed';
}
