/**
 * A registry on a temporary SQLite file served over real HTTP on 127.0.0.1, in this process:
 * a publish that blocks the event loop also delays `/healthz`, which the tests measure.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { statSync } from 'node:fs';
import { bearer, bootRegistry } from '../registry/fixtures.js';

export interface Timed<T> {
  status: number;
  body: T;
  ms: number;
}

export interface LiveRegistry {
  url: string;
  /** PUTs `yaml` as version `version` of `ref`, timing the answer. */
  publish(ref: string, version: string, yaml: string): Promise<Timed<PublishAnswer>>;
  /** GETs `/healthz`, timing the answer. */
  healthz(): Promise<Timed<unknown>>;
  /** Size of the database file and its write-ahead log, in bytes. */
  dbBytes(): number;
  close(): Promise<void>;
}

export interface PublishAnswer {
  error?: { code: string; message: string; details?: { code: string; file: string; line: number; column: number; message: string }[] };
  created?: boolean;
}

async function timed<T>(run: () => Promise<Response>): Promise<Timed<T>> {
  const start = performance.now();
  const res = await run();
  const body = (await res.json()) as T;
  return { status: res.status, body, ms: performance.now() - start };
}

export async function liveRegistry(): Promise<LiveRegistry> {
  const r = bootRegistry();
  const server: Server = await new Promise((resolve) => {
    const s = r.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return {
    url,
    publish: (ref, version, yaml) =>
      timed(() =>
        fetch(`${url}/api/v1/templates/${ref}/versions/${version}`, {
          method: 'PUT',
          headers: { ...bearer(r.tokens.publish), 'Content-Type': 'application/json' },
          body: JSON.stringify({ yaml }),
        }),
      ),
    healthz: () => timed(() => fetch(`${url}/healthz`)),
    dbBytes: () => size(r.dbFile) + size(`${r.dbFile}-wal`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          r.db.close();
          resolve();
        });
      }),
  };
}

/**
 * Publishes while polling `/healthz` every 20 ms; returns the publish answer and the slowest
 * health answer seen meanwhile (how long the event loop was blocked, roughly).
 */
export async function publishWhileProbing(
  reg: LiveRegistry,
  ref: string,
  version: string,
  yaml: string,
): Promise<{ publish: Timed<PublishAnswer>; slowestHealth: number; healthChecks: number }> {
  let done = false;
  let slowest = 0;
  let checks = 0;
  const probe = (async () => {
    while (!done) {
      const h = await reg.healthz();
      if (h.status === 200) checks++;
      slowest = Math.max(slowest, h.ms);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 30));
  const publish = await reg.publish(ref, version, yaml);
  done = true;
  await probe;
  return { publish, slowestHealth: slowest, healthChecks: checks };
}
