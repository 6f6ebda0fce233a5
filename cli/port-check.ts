/**
 * Before a run that starts services on fixed ports (`demo`): is any of those ports already
 * held by another process? A service that cannot bind would fail with a stack trace from
 * deep inside it — or, worse, its readiness probe would reach the other process and pass.
 */
import { createServer } from 'node:net';
import { isLongLived, type Plan } from '../schemas/index.js';

/** The loopback ports the plan's Background steps and services listen on or are probed at. */
export function servicePorts(plan: Plan): { port: number; step: string }[] {
  const out: { port: number; step: string }[] = [];
  for (const s of plan.steps) {
    if (!isLongLived(s)) continue;
    const ports = [...(s.ports ?? []).map((p) => p.host), ...(s.readiness?.tcp?.ports ?? [])];
    const url = s.readiness?.http?.url;
    if (url) {
      const u = URL.canParse(url) ? new URL(url) : undefined;
      if (u && (u.hostname === '127.0.0.1' || u.hostname === 'localhost') && u.port) ports.push(Number(u.port));
    }
    for (const p of ports) if (typeof p === 'number' && !out.some((o) => o.port === p)) out.push({ port: p, step: s.id });
  }
  return out;
}

/** The first of `ports` that another process holds on 127.0.0.1, if any. */
export async function firstBusyPort(ports: { port: number; step: string }[]): Promise<{ port: number; step: string } | undefined> {
  for (const p of ports) if (!(await isFree(p.port))) return p;
  return undefined;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
