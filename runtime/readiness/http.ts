/**
 * HTTP readiness: a GET of the URL answers with the expected status. Each probe uses its own
 * connection and closes it: a kept-alive probe connection would hold the service's shutdown
 * (a server draining on SIGTERM waits for open connections).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PlanReadiness } from '../../schemas/index.js';
import { pollingProbe } from './poll.js';
import type { ProbeTiming, ReadinessProbe } from './probe.js';

/** The http probe of a step; its backend sends the request. */
export function httpProbe(http: NonNullable<PlanReadiness['http']>, timing: ProbeTiming): ReadinessProbe {
  return pollingProbe({ kind: 'http', url: http.url, status: http.status }, timing);
}

/** One GET of `url`, given `timeoutMs` in all; true when it answers with `status`. */
export function httpReady(url: string, status: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve(false);
    }
    // The socket timeout is idle time: a server trickling a byte at a time would reset it for
    // ever. One probe gets `timeoutMs` in all, then it is abandoned.
    const deadline = setTimeout(() => {
      req.destroy();
      resolve(false);
    }, timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(deadline);
      resolve(ok);
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', agent: false, headers: { Connection: 'close' }, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        // The status is known: the body is not needed.
        done(res.statusCode === status);
        res.destroy();
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => done(false));
    req.end();
  });
}
