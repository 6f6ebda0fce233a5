/**
 * The per-run state file (`.pipewright/runs/<runId>/state.json`): the runner's pid and the
 * process groups it started, each with its leader's start time. `gc` reads them to stop what
 * a runner killed with SIGKILL left behind — and never a process that merely reuses a pid.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { holdersOf, markedProcesses, stopProcesses, type MarkedProcess, type OutputLinks } from './escaped.js';
import { groupMembers, processStartTime, stopGroup } from './process-group.js';

export interface RunState {
  runId: string;
  runner: { pid: number; start?: number };
  groups: { step: string; pgid: number; start?: number; links?: OutputLinks }[];
}

export class StateFile {
  private readonly state: RunState;

  constructor(
    private readonly path: string,
    runId: string,
  ) {
    const start = processStartTime(process.pid);
    this.state = { runId, runner: { pid: process.pid, ...(start !== undefined ? { start } : {}) }, groups: [] };
    this.save();
  }

  add(step: string, pgid: number, start?: number, links?: OutputLinks): void {
    this.state.groups.push({ step, pgid, ...(start !== undefined ? { start } : {}), ...(links?.links.length ? { links } : {}) });
    this.save();
  }

  remove(pgid: number): void {
    this.state.groups = this.state.groups.filter((g) => g.pgid !== pgid);
    this.save();
  }

  get pgids(): number[] {
    return this.state.groups.map((g) => g.pgid);
  }

  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, this.path);
  }
}

export interface GcResult {
  runId: string;
  stopped: { step: string; pgid: number; pids: number[] }[];
  skipped: string[];
  /** Processes outside the recorded groups that carry the run's marker in their environment. */
  escaped: MarkedProcess[];
}

/** Processes of a recorded group that are really the recorded ones (not pid reuse). */
function verifiedMembers(g: RunState['groups'][number]): number[] {
  if (g.start === undefined) return [];
  return groupMembers(g.pgid)
    .filter((m) => m.state !== 'Z' && (m.pid === g.pgid ? m.start === g.start : m.start >= g.start!))
    .map((m) => m.pid);
}

/**
 * Stops leftovers of every run under `runsDir` whose runner is gone: its recorded process
 * groups, and processes that escaped them but carry the run's marker. Returns what it did.
 */
export async function gcRuns(runsDir: string, graceMs: number): Promise<GcResult[]> {
  if (!existsSync(runsDir)) return [];
  const out: GcResult[] = [];
  for (const runId of readdirSync(runsDir).sort()) {
    const path = join(runsDir, runId, 'state.json');
    let state: RunState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as RunState;
    } catch {
      continue;
    }
    const runnerStart = processStartTime(state.runner.pid);
    if (runnerStart !== undefined && runnerStart === state.runner.start) continue; // still running
    const result: GcResult = { runId, stopped: [], skipped: [], escaped: [] };
    for (const g of state.groups) {
      const pids = verifiedMembers(g);
      if (pids.length === 0) {
        result.skipped.push(g.step);
        continue;
      }
      const leaderIsOurs = pids.includes(g.pgid);
      if (leaderIsOurs) await stopGroup(g.pgid, graceMs);
      else
        for (const pid of pids)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
      result.stopped.push({ step: g.step, pgid: g.pgid, pids });
    }
    // What escaped the groups is found by the run's marker (PIPEWRIGHT_RUN_ID) in /proc, or
    // by the output pipes of its step it still holds (its environment scrubbed).
    result.escaped = markedProcesses(state.runId ?? runId);
    for (const g of state.groups) {
      if (!g.links) continue;
      for (const h of holdersOf(g.links, g.pgid))
        if (!result.escaped.some((e) => e.pid === h.pid)) result.escaped.push({ ...h, step: g.step });
    }
    if (result.escaped.length)
      await stopProcesses(
        result.escaped.map((e) => e.pid),
        graceMs,
      );
    writeFileSync(path, JSON.stringify({ ...state, groups: [] }, null, 2));
    // A killed runner could not remove its steps' scripts and output files: they may hold
    // resolved secrets.
    for (const dir of ['scripts', 'outputs']) rmSync(join(runsDir, runId, dir), { recursive: true, force: true });
    if (result.stopped.length || result.skipped.length || result.escaped.length) out.push(result);
  }
  return out;
}
