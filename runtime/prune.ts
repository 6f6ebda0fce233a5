/**
 * Pruning `.pipewright/runs/`: `gc` keeps the newest runs and drops old ones, never a run whose
 * runner is still alive (its `state.json` names the runner's pid and start time). A run's time
 * is the one in its id (`20261129-131249-7d5a3d`, UTC), else its folder's modification time.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from './process-group.js';

export interface PruneOptions {
  /** How many of the newest runs to keep whatever their age. */
  keep: number;
  /** Also remove runs older than this, when given. */
  olderThanMs?: number;
  now?: number;
}

/** Removes old run folders under `runsDir`; returns their ids, oldest first. */
export function pruneRuns(runsDir: string, opts: PruneOptions): string[] {
  if (!existsSync(runsDir)) return [];
  const now = opts.now ?? Date.now();
  const runs = readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ id: e.name, time: runTime(join(runsDir, e.name), e.name) }))
    .sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1));
  const removed: string[] = [];
  runs.forEach((run, i) => {
    const tooMany = i >= opts.keep;
    const tooOld = opts.olderThanMs !== undefined && run.time < now - opts.olderThanMs;
    if (!tooMany && !tooOld) return;
    const dir = join(runsDir, run.id);
    if (runnerAlive(dir)) return;
    rmSync(dir, { recursive: true, force: true });
    removed.push(run.id);
  });
  return removed.reverse();
}

function runTime(dir: string, id: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

function runnerAlive(dir: string): boolean {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { runner?: { pid?: number; start?: number } };
    const { pid, start } = state.runner ?? {};
    return typeof pid === 'number' && start !== undefined && processStartTime(pid) === start;
  } catch {
    return false;
  }
}
