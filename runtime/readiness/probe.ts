/**
 * The readiness probe contract. Each probe kind (tcp, http, exec, log) implements
 * `ReadinessProbe` in its own file; `waitReady` (index.ts) picks the plan's one and times it.
 */
import type { Backend, Exit, Handle, StartSpec } from '../backend.js';

/** What a probe waits on: the started step, the backend running it, and its start spec. */
export interface ProbeSubject {
  handle: Handle;
  backend: Backend;
  spec: StartSpec;
}

/** How a probe's wait ended (`waitReady` adds how long it took). */
export type ProbeResult =
  | { ready: true }
  | { ready: false; reason: 'timeout' }
  | { ready: false; reason: 'exited'; exit: Exit }
  /** The probe cannot run at all (a log pattern that became an invalid regex at run time). */
  | { ready: false; reason: 'invalid'; message: string };

/** One way of telling that a background step or service is ready. */
export interface ReadinessProbe {
  /**
   * Waits until the step is ready, its process exits first (the wait ends at once), or the
   * probe's timeout passes. A probe that cannot be run says so in its result (`invalid`).
   */
  wait(subject: ProbeSubject): Promise<ProbeResult>;
}

/** The readiness timing a probe follows (the plan's `timeoutMs` and `intervalMs`). */
export interface ProbeTiming {
  timeoutMs: number;
  intervalMs: number;
}

/** A probe that cannot run: its wait ends at once, saying why. */
export function invalidProbe(message: string): ReadinessProbe {
  return { wait: () => Promise.resolve({ ready: false, reason: 'invalid', message }) };
}

/**
 * Resolves `value` after `ms`, or `undefined` as soon as `until` settles; the timer is cleared
 * either way, so no probe timer outlives its probe (a pending one keeps the process alive).
 */
export function timer<T>(ms: number, value: T, until: Promise<unknown>): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<T>((r) => (t = setTimeout(() => r(value), ms))), until.then(() => undefined)]).finally(() =>
    clearTimeout(t),
  );
}
