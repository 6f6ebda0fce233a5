/** TCP readiness: every listed port accepts a connection. */
import { connect } from 'node:net';
import type { PlanReadiness } from '../../schemas/index.js';
import { pollingProbe } from './poll.js';
import { invalidProbe, type ProbeTiming, type ReadinessProbe } from './probe.js';

/** The tcp probe of a step (host 127.0.0.1 unless it names one); its backend connects. */
export function tcpProbe(tcp: NonNullable<PlanReadiness['tcp']>, timing: ProbeTiming): ReadinessProbe {
  // Ports the run fills in are numbers by now (refs.ts); one that is not cannot be probed.
  const ports = tcp.ports.filter((p): p is number => typeof p === 'number');
  const unfilled = tcp.ports.find((p) => typeof p === 'string');
  if (unfilled !== undefined) return invalidProbe(`readiness port ${unfilled} was never filled in`);
  return pollingProbe({ kind: 'tcp', host: tcp.host ?? '127.0.0.1', ports }, timing);
}

/** One connection attempt to `host:port`, given `timeoutMs`; true when it connects. */
export function tcpOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** True when every port of `host` accepts a connection (tried in order, each given `timeoutMs`). */
export async function tcpReady(host: string, ports: number[], timeoutMs: number): Promise<boolean> {
  for (const p of ports) if (!(await tcpOnce(host, p, timeoutMs))) return false;
  return true;
}
