/**
 * Reliability with real processes and a real SQLite file: concurrent publishers, racing
 * publishers, and a server killed with SIGKILL in the middle of a stream of publishes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, integrityProblems, openDatabase, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { tempDir } from '../helpers.js';
import { killChildren, serveProcess } from './serve.js';
import { stepTemplate } from './fixtures.js';

const running: RunningRegistry[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  killChildren();
});

async function put(url: string, token: string, ref: string, version: string, yaml: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/templates/${ref}/versions/${version}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ yaml }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('registry reliability', () => {
  test('20 concurrent publishers of distinct versions and 20 racing on one version', async () => {
    const dir = tempDir({}, 'pw-race-');
    const reg = await startRegistry({ db: join(dir, 'r.db'), port: 0, log: () => undefined });
    running.push(reg);
    const token = createToken(reg.db, 'ci', 'publish');
    const distinct = Array.from({ length: 20 }, (_, i) => put(reg.url, token, 'account.t', `1.${i}.0`, stepTemplate('t', `1.${i}.0`)));
    const racing = Array.from({ length: 20 }, (_, i) =>
      put(reg.url, token, 'account.race', '1.0.0', stepTemplate('race', '1.0.0', { command: `racer ${i}` })),
    );
    const [d, r] = await Promise.all([Promise.all(distinct), Promise.all(racing)]);
    expect(d).toEqual(Array(20).fill(201));
    expect(r.filter((s) => s === 201)).toHaveLength(1);
    expect(r.filter((s) => s === 409)).toHaveLength(19);
    const counts = reg.db
      .prepare('SELECT t.ref, count(*) n FROM versions v JOIN templates t ON t.id = v.template_id GROUP BY t.ref ORDER BY t.ref')
      .all();
    expect(counts).toEqual([
      { ref: 'account.race', n: 1 },
      { ref: 'account.t', n: 20 },
    ]);
    expect(integrityProblems(reg.db)).toEqual([]);
  });

  test('SIGKILL in the middle of a stream of publishes loses no acknowledged version and leaves none half-written', async () => {
    const dir = tempDir({}, 'pw-kill-');
    const dbFile = join(dir, 'r.db');
    const setup = openDatabase(dbFile);
    const token = createToken(setup, 'ci', 'publish');
    setup.close();
    const { child, url } = await serveProcess(dbFile);
    const acknowledged: string[] = [];
    let stop = false;
    // Four concurrent streams, so requests are in flight when the kill lands.
    const stream = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const version = `${n}.${i}.0`;
        try {
          const status = await put(
            url,
            token,
            'account.s',
            version,
            stepTemplate('s', version, { command: `echo ${'x'.repeat(500)} ${version}` }),
          );
          if (status === 201) acknowledged.push(version);
        } catch {
          return;
        }
      }
    };
    const streams = [0, 1, 2, 3].map(stream);
    await new Promise((r) => setTimeout(r, 1200));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(streams);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    expect(acknowledged.length).toBeGreaterThan(5);

    const db = openDatabase(dbFile);
    try {
      expect(integrityProblems(db)).toEqual([]);
      const rows = db
        .prepare(
          "SELECT v.version, v.digest, v.canonical FROM versions v JOIN templates t ON t.id = v.template_id WHERE t.ref = 'account.s'",
        )
        .all() as { version: string; digest: string; canonical: string }[];
      const stored = new Set(rows.map((r) => r.version));
      for (const v of acknowledged) expect(stored.has(v), `acknowledged ${v} is missing`).toBe(true);
      for (const row of rows) expect('sha256:' + createHash('sha256').update(row.canonical).digest('hex')).toBe(row.digest);
      const events = db.prepare("SELECT count(*) n FROM events WHERE action = 'publish'").get() as { n: number };
      expect(events.n).toBe(rows.length);
    } finally {
      db.close();
    }
  }, 30_000);
});
