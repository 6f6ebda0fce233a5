/**
 * What escaped a stage's steps, and stopping it at the stage's end: processes found holding
 * a step's output pipes as it ended, and processes carrying the run's marker — with a step of
 * this stage, or with no step of the plan at all (they rewrote their environment; the stage
 * that ends first takes them).
 */
import { appendFileSync } from 'node:fs';
import { markedProcesses, stopProcesses, type Escapee } from './escaped.js';
import type { StepLog } from './logs.js';
import type { Masker } from './secrets.js';

export interface LedgerContext {
  runId: string;
  /** Read at each scan: copies made at run time join as they are made. */
  stageSteps: ReadonlySet<string>;
  planSteps: ReadonlySet<string>;
  masker: Masker;
  note(line: string): void;
  graceMs: number;
}

const line = (e: Escapee) => `${e.name} (pid ${e.pid})`;

export class EscapeLedger {
  /** Escapees by step id, in the order found. */
  readonly byStep = new Map<string, Escapee[]>();
  /** Escapees with the run's marker that name no step of the plan. */
  readonly unattributed: Escapee[] = [];

  constructor(private readonly ctx: LedgerContext) {}

  /** Records what still held an ended step's pipes, and says so in its (open) log. */
  fromStep(step: string, log: StepLog, found: Escapee[]): void {
    const fresh = found.filter((e) => this.add(step, e));
    if (fresh.length) log.line(`pipewright: escaped the step's process group: ${fresh.map(line).join(', ')}; stopped at teardown`);
  }

  /**
   * Finds the marked escapees and stops every escapee: SIGTERM, grace, SIGKILL; then scans
   * again while new ones appear (a process that restarts itself on SIGTERM gets SIGKILL), three
   * rounds at most. `logOf` gives a step's (closed) log file to append the finding to.
   */
  async stopAll(logOf: (step: string) => string | undefined): Promise<void> {
    const stopped = new Set<number>();
    for (let round = 0; round < 3; round++) {
      for (const m of markedProcesses(this.ctx.runId)) {
        if (this.ctx.stageSteps.has(m.step)) {
          if (this.add(m.step, m))
            append(logOf(m.step), this.ctx.masker.mask(`pipewright: escaped the step's process group: ${line(m)}; stopped at teardown`));
        } else if (!this.ctx.planSteps.has(m.step) && !this.unattributed.some((e) => e.pid === m.pid)) {
          this.unattributed.push({ pid: m.pid, name: m.name });
          this.ctx.note(`stopping ${line(m)}: it carries this run's marker but names no step of the plan (${m.step})`);
        }
      }
      const pids = [...[...this.byStep.values()].flat(), ...this.unattributed].map((e) => e.pid).filter((pid) => !stopped.has(pid));
      if (pids.length === 0) break;
      await stopProcesses(pids, this.ctx.graceMs, { killOnly: round > 0 });
      for (const pid of pids) stopped.add(pid);
    }
  }

  /** Adds an escapee to a step; false when it was known. */
  private add(step: string, e: Escapee): boolean {
    const list = this.byStep.get(step) ?? [];
    if (list.some((x) => x.pid === e.pid)) return false;
    list.push({ pid: e.pid, name: e.name });
    this.byStep.set(step, list);
    return true;
  }
}

function append(path: string | undefined, text: string): void {
  if (!path) return;
  try {
    appendFileSync(path, text + '\n');
  } catch {
    // the log is gone: the report still says it
  }
}
