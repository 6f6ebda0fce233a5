/**
 * Polling probes (tcp, http, exec): the backend reaches the probe's target every `intervalMs`
 * until it answers, the step's process exits, or `timeoutMs` passes. One attempt gets five
 * intervals (200 ms to 5 s); the deadline is checked between attempts.
 */
import type { ProbeTarget } from '../backend.js';
import { timer, type ProbeResult, type ProbeSubject, type ProbeTiming, type ReadinessProbe } from './probe.js';

/** How long one attempt may take, from the probe interval. */
export function attemptTimeout(intervalMs: number): number {
  return Math.max(200, Math.min(5000, intervalMs * 5));
}

/** A probe that asks the step's backend to reach `target` (none: never ready, it times out). */
export function pollingProbe(target: ProbeTarget | undefined, timing: ProbeTiming): ReadinessProbe {
  return {
    async wait({ handle, backend, spec }: ProbeSubject): Promise<ProbeResult> {
      let exited: ProbeResult | undefined;
      void handle.exited.then((exit) => (exited = { ready: false, reason: 'exited', exit }));
      const deadline = Date.now() + timing.timeoutMs;
      const perAttempt = attemptTimeout(timing.intervalMs);
      for (;;) {
        if (target && (await backend.reach(target, spec, perAttempt))) return { ready: true };
        if (exited) return exited;
        if (Date.now() >= deadline) return { ready: false, reason: 'timeout' };
        await timer(Math.min(timing.intervalMs, Math.max(0, deadline - Date.now())), true, handle.exited);
      }
    },
  };
}
