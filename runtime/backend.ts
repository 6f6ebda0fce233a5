/**
 * The backend interface: how a step's process is started, waited for and stopped. The host
 * backend runs child processes; the Docker backend (containers) implements the same shape.
 * Scheduling, readiness, outputs, failure strategies and reports do not depend on which.
 */
import type { PlanStep } from '../schemas/plan.js';
import type { StepLog } from './logs.js';

/** A step with its runtime references already replaced. */
export interface StartSpec {
  step: PlanStep;
  env: Record<string, string>;
  cwd: string;
  log: StepLog;
  /** Where a Run step's output variables are written at exit. */
  outputsFile?: string;
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

/** A started step. `exited` settles once, when the step's main process ends. */
export interface Handle {
  pid: number;
  /** Process group of the step; every process it spawned shares it. */
  pgid: number;
  /** Start time of the leader (clock ticks since boot), for `gc`. */
  startTime?: number;
  exited: Promise<Exit>;
  /** SIGTERM to the whole group, `graceMs`, then SIGKILL; resolves when all are gone. */
  stop(graceMs: number): Promise<void>;
}

export interface Backend {
  readonly name: 'host' | 'docker';
  start(spec: StartSpec): Promise<Handle>;
  /** Runs a readiness `exec` probe for a step; resolves with its exit code. */
  probe(command: string, spec: StartSpec, timeoutMs: number): Promise<number>;
  /** TCP and HTTP probes where the step's ports are (the host, or the stage's namespace). */
  tcpReady(host: string, ports: number[], timeoutMs: number, spec: StartSpec): Promise<boolean>;
  httpReady(url: string, status: number, timeoutMs: number, spec: StartSpec): Promise<boolean>;
}

/** Thrown when a step cannot be started at all (missing shell, bad entrypoint). */
export class StartError extends Error {}
