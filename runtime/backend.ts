/**
 * The backend interface: how a step's process is started, waited for and stopped. The host
 * backend runs child processes; the Docker backend (containers) implements the same shape.
 * Scheduling, readiness, outputs, failure strategies and reports do not depend on which.
 */
import type { ExecutedStep } from '../schemas/index.js';
import type { Escapee, OutputLinks } from './escaped.js';
import type { StepLog } from './logs.js';

/** A step with its runtime references already replaced. */
export interface StartSpec {
  step: ExecutedStep;
  env: Record<string, string>;
  cwd: string;
  log: StepLog;
  /** Where a Run step's output variables are written at exit. */
  outputsFile?: string;
  /**
   * Where a backend writes the step's resolved script (mode 0600) when it runs a `command`:
   * a script never travels in argv, where every user could read it. Removed when the step's
   * process exits.
   */
  scriptFile: string;
}

/** How a step's main process ended: its exit code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/**
 * A started step. `exited` settles once, when the step's main process ends (not when its
 * output pipes close: a process that escaped the group may hold them).
 */
export interface Handle {
  pid: number;
  /** Process group of the step; every process it spawned shares it. */
  pgid: number;
  /** Start time of the leader (clock ticks since boot), for `gc`. */
  startTime?: number;
  /** What identifies the step's output pipes, so `gc` can find processes still holding them. */
  links?: OutputLinks;
  exited: Promise<Exit>;
  /** SIGTERM to the whole group, `graceMs`, then SIGKILL; resolves when all are gone. */
  stop(graceMs: number): Promise<void>;
  /**
   * Once the step is over (exited, group stopped): waits up to `waitMs` for its output pipes
   * to close, then stops reading them. Resolves with the processes outside the group that
   * still held them (they escaped; the caller reports and stops them).
   */
  release(waitMs: number): Promise<Escapee[]>;
}

/**
 * Where a readiness probe looks: a TCP connect to every port, an HTTP GET answered with
 * `status`, or a command that exits 0. The log probe needs no backend (it reads the step's log).
 */
export type ProbeTarget =
  { kind: 'tcp'; host: string; ports: number[] } | { kind: 'http'; url: string; status: number } | { kind: 'exec'; command: string };

/** How steps run: on the host, or in containers. */
export interface Backend {
  readonly name: 'host' | 'docker';
  start(spec: StartSpec): Promise<Handle>;
  /**
   * One probe attempt at `target`, from where the step runs (the host, or the stage's network
   * namespace; an exec probe inside the step's container), given at most `timeoutMs`.
   * Resolves true when the target answers as ready, false when it does not (yet).
   */
  reach(target: ProbeTarget, spec: StartSpec, timeoutMs: number): Promise<boolean>;
}

/** Thrown when a step cannot be started at all (missing shell, bad entrypoint). */
export class StartError extends Error {}
