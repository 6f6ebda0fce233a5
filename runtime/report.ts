/**
 * The run report (`report.json`, schema `schemas/report.schema.json`) and the end-of-run
 * table.
 */

export type StepStatus = 'success' | 'failed' | 'skipped' | 'aborted';
/** Why a step failed: Harness error types, plus the runtime's own. */
export type ErrorType = 'Timeout' | 'Unknown' | 'Readiness' | 'Exited' | 'Start';

export interface StepResult {
  id: string;
  stage: string;
  kind: string;
  type: string;
  name: string;
  status: StepStatus;
  /** A failure a strategy turned into success or ignored. */
  failureIgnored?: boolean;
  exitCode?: number | null;
  errorType?: ErrorType;
  error?: string;
  durationMs: number;
  attempts: number;
  /** Background steps and services: time from start to ready. */
  readyMs?: number;
  outputs?: Record<string, string>;
  log?: string;
  /** Processes that escaped the step's process group, stopped at teardown. */
  escaped?: { pid: number; name: string }[];
}

export interface StageResult {
  id: string;
  status: StepStatus;
  durationMs: number;
  /** Processes with the run's marker that named no step of the plan, stopped at this stage's end. */
  escaped?: { pid: number; name: string }[];
}

export interface RunReport {
  apiVersion: 'pipewright.dev/v1';
  kind: 'RunReport';
  runId: string;
  pipeline: { identifier: string; name: string };
  planDigest: string;
  status: 'success' | 'failed' | 'aborted';
  startedAt: string;
  durationMs: number;
  stages: StageResult[];
  steps: StepResult[];
}

const fmt = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** The end-of-run table: step, status, duration, exit code. */
export function summaryTable(report: RunReport): string {
  const rows = report.steps.map((s) => [
    s.id,
    s.status + (s.failureIgnored ? ' (failure ignored)' : ''),
    fmt(s.durationMs),
    s.exitCode === undefined || s.exitCode === null ? '-' : String(s.exitCode),
  ]);
  const head = ['step', 'status', 'duration', 'exit'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return (
    [
      line(head),
      ...rows.map(line),
      `pipeline ${report.pipeline.identifier}: ${report.status} in ${fmt(report.durationMs)} (run ${report.runId})`,
    ].join('\n') + '\n'
  );
}
