/**
 * HTTP readiness: a GET of the URL answers with the expected status. Each probe uses its own
 * connection and closes it: a kept-alive probe connection would hold the service's shutdown
 * (a server draining on SIGTERM waits for open connections).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export function httpReady(url: string, status: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve(false);
    }
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', agent: false, headers: { Connection: 'close' }, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === status));
      res.once('error', () => resolve(false));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
