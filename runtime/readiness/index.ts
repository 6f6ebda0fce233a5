/**
 * Waiting for a background step or service to be ready: one probe kind per file, shared by
 * every backend. Probes repeat every `intervalMs` until `timeoutMs`; a process that exits
 * first ends the wait at once.
 */
import type { PlanReadiness } from '../../schemas/index.js';
import type { Backend, Exit, Handle, StartSpec } from '../backend.js';
import { execReady } from './exec.js';
import { watchLog } from './log.js';

export type ReadyOutcome =
  | { ready: true; ms: number }
  | { ready: false; reason: 'timeout'; ms: number }
  | { ready: false; reason: 'exited'; exit: Exit; ms: number }
  /** The probe cannot run at all (a log pattern that became an invalid regex at run time). */
  | { ready: false; reason: 'invalid'; message: string; ms: number };

/**
 * Resolves `value` after `ms`, or `undefined` as soon as `until` settles; the timer is cleared
 * either way, so no probe timer outlives its probe (a pending one keeps the process alive).
 */
function timer<T>(ms: number, value: T, until: Promise<unknown>): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<T>((r) => (t = setTimeout(() => r(value), ms))), until.then(() => undefined)]).finally(() =>
    clearTimeout(t),
  );
}

export async function waitReady(
  readiness: PlanReadiness | undefined,
  handle: Handle,
  backend: Backend,
  spec: StartSpec,
): Promise<ReadyOutcome> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  if (!readiness) return { ready: true, ms: 0 };
  let exited: Exit | undefined;
  void handle.exited.then((e) => (exited = e));
  const deadline = Date.now() + readiness.timeoutMs;
  const attemptTimeout = Math.max(200, Math.min(5000, readiness.intervalMs * 5));
  if (readiness.log) {
    let w: ReturnType<typeof watchLog>;
    try {
      w = watchLog(spec.log, readiness.log.pattern);
    } catch (e) {
      return {
        ready: false,
        reason: 'invalid',
        message: `log readiness pattern ${JSON.stringify(readiness.log.pattern)} is not a valid regular expression: ${(e as Error).message}`,
        ms: ms(),
      };
    }
    const settled = Promise.race([w.matched, handle.exited.then(() => 'exited' as const)]);
    const result = await Promise.race([settled, timer(readiness.timeoutMs, 'timeout' as const, settled)]);
    w.stop();
    if (result === true) return { ready: true, ms: ms() };
    if (result === 'exited') return { ready: false, reason: 'exited', exit: await handle.exited, ms: ms() };
    return { ready: false, reason: 'timeout', ms: ms() };
  }
  // Ports the run fills in are numbers by now (refs.ts); one that is not cannot be probed.
  const tcpPorts = readiness.tcp?.ports.filter((p): p is number => typeof p === 'number');
  if (readiness.tcp && tcpPorts!.length !== readiness.tcp.ports.length)
    return {
      ready: false,
      reason: 'invalid',
      message: `readiness port ${readiness.tcp.ports.find((p) => typeof p === 'string')} was never filled in`,
      ms: ms(),
    };
  for (;;) {
    let ok = false;
    if (readiness.tcp) ok = await backend.tcpReady(readiness.tcp.host ?? '127.0.0.1', tcpPorts!, attemptTimeout, spec);
    else if (readiness.http) ok = await backend.httpReady(readiness.http.url, readiness.http.status, attemptTimeout, spec);
    else if (readiness.exec) ok = await execReady(backend, readiness.exec.command, spec, attemptTimeout);
    if (ok) return { ready: true, ms: ms() };
    if (exited) return { ready: false, reason: 'exited', exit: exited, ms: ms() };
    if (Date.now() >= deadline) return { ready: false, reason: 'timeout', ms: ms() };
    await timer(Math.min(readiness.intervalMs, Math.max(0, deadline - Date.now())), true, handle.exited);
  }
}
