/**
 * Waiting for a background step or service to be ready: one `ReadinessProbe` per probe kind,
 * each in its own file (tcp, http, exec, log), shared by every backend. Polling probes repeat
 * every `intervalMs` until `timeoutMs`; a process that exits first ends the wait at once.
 */
import type { PlanReadiness } from '../../schemas/index.js';
import type { Backend, Handle, StartSpec } from '../backend.js';
import { execProbe } from './exec.js';
import { httpProbe } from './http.js';
import { logProbe } from './log.js';
import { pollingProbe } from './poll.js';
import type { ProbeResult, ReadinessProbe } from './probe.js';
import { tcpProbe } from './tcp.js';

export type { ProbeResult, ReadinessProbe } from './probe.js';

/** A probe's outcome and the time it took (ms). */
export type ReadyOutcome = ProbeResult & { ms: number };

/** The probe a readiness block asks for (the plan holds exactly one; none is never ready). */
export function probeFor(readiness: PlanReadiness): ReadinessProbe {
  if (readiness.log) return logProbe(readiness.log, readiness);
  if (readiness.tcp) return tcpProbe(readiness.tcp, readiness);
  if (readiness.http) return httpProbe(readiness.http, readiness);
  if (readiness.exec) return execProbe(readiness.exec, readiness);
  return pollingProbe(undefined, readiness);
}

/** Waits until a started step is ready by its readiness block; no block: ready at once. */
export async function waitReady(
  readiness: PlanReadiness | undefined,
  handle: Handle,
  backend: Backend,
  spec: StartSpec,
): Promise<ReadyOutcome> {
  const t0 = performance.now();
  if (!readiness) return { ready: true, ms: 0 };
  const result = await probeFor(readiness).wait({ handle, backend, spec });
  return { ...result, ms: Math.round(performance.now() - t0) };
}
