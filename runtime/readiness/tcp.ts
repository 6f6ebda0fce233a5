/** TCP readiness: every listed port accepts a connection. */
import { connect } from 'node:net';

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

export async function tcpReady(host: string, ports: number[], timeoutMs: number): Promise<boolean> {
  for (const p of ports) if (!(await tcpOnce(host, p, timeoutMs))) return false;
  return true;
}
