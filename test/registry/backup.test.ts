/**
 * `registry backup` (issue 16, point 14): a consistent copy of a registry database made by a
 * real CLI process while a real server process keeps publishing into it; the copy is a sound
 * registry a server can serve. Refusals: a missing database, an existing backup without
 * `--force`, the database itself.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, integrityProblems, openDatabase } from '../../registry/index.js';
import { runCli, tempDir } from '../helpers.js';
import { stepTemplate } from './fixtures.js';
import { cliProcess, killChildren, serveProcess } from './serve.js';

afterEach(() => killChildren());

const STREAMS = 3;
const BACKUP_LINE = /^backed up r\.db to (\S+): (\d+) pages, (\d+) bytes, schema version (\d+), in (\d+) ms\n$/;

/** PUTs version `1.0.i` of `account.stream<n>`; answers the status. */
async function publish(url: string, token: string, n: number, i: number): Promise<number> {
  const version = `1.0.${i}`;
  const res = await fetch(`${url}/api/v1/templates/account.stream${n}/versions/${version}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ yaml: stepTemplate(`stream${n}`, version, { command: `echo ${'x'.repeat(2000)} ${n} ${i}` }) }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The number of versions in the database file `file` (read in its own connection). */
function versionCount(file: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('registry backup', () => {
  test('copies a registry consistently while a server process publishes into it; the copy serves', async () => {
    const dir = tempDir({}, 'pw-backup-');
    const dbFile = join(dir, 'r.db');
    const setup = openDatabase(dbFile);
    const token = createToken(setup, 'ci', 'publish');
    setup.close();
    const { url } = await serveProcess(dbFile);

    // Each stream publishes its versions one after another, so any committed state holds a
    // prefix 1.0.0 … 1.0.(k-1) of every stream.
    const acknowledged = Array.from({ length: STREAMS }, () => 0);
    let stop = false;
    const stream = async (n: number) => {
      while (!stop) {
        const status = await publish(url, token, n, acknowledged[n]!);
        if (status === 201) acknowledged[n]!++;
        else if (status !== 503) throw new Error(`publish answered ${status}`);
      }
    };
    const total = () => acknowledged.reduce((a, b) => a + b, 0);
    const streams = Array.from({ length: STREAMS }, (_, n) => stream(n));
    const until = async (n: number) => {
      while (total() < n) await new Promise((r) => setTimeout(r, 20));
    };

    try {
      await until(150); // a database of a few hundred KiB before the first backup
      const backups: { file: string; before: number; after: number; during: number; out: string }[] = [];
      for (const name of ['b1.db', 'b2.db', 'b3.db']) {
        const before = total();
        const r = await cliProcess(['registry', 'backup', '--db', 'r.db', '--to', name], dir);
        const during = total() - before;
        const after = versionCount(dbFile);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(BACKUP_LINE);
        backups.push({ file: join(dir, name), before, after, during, out: r.stdout });
      }
      // Publishes went on while the backups ran (each backup is a process of a few hundred ms).
      expect(backups.reduce((a, b) => a + b.during, 0)).toBeGreaterThan(0);

      let previous = 0;
      for (const b of backups) {
        const db = new Database(b.file, { fileMustExist: true });
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(integrityProblems(db)).toEqual([]);
          const rows = db
            .prepare('SELECT t.ref, v.version, v.digest, v.canonical, v.source FROM versions v JOIN templates t ON t.id = v.template_id')
            .all() as { ref: string; version: string; digest: string; canonical: string; source: string }[];
          // Between what was acknowledged before the backup began and what the database held after it ended.
          expect(rows.length).toBeGreaterThanOrEqual(b.before);
          expect(rows.length).toBeLessThanOrEqual(b.after);
          expect(rows.length).toBeGreaterThanOrEqual(previous);
          previous = rows.length;
          // Every version's content is there and matches its digest.
          for (const row of rows) {
            expect(row.source).toContain(`versionLabel: "${row.version}"`);
            expect('sha256:' + createHash('sha256').update(row.canonical).digest('hex')).toBe(row.digest);
          }
          // A prefix of every stream: one committed state, not pages of several.
          for (let n = 0; n < STREAMS; n++) {
            const got = rows
              .filter((r) => r.ref === `account.stream${n}`)
              .map((r) => Number(r.version.split('.')[2]))
              .sort((x, y) => x - y);
            expect(got).toEqual(got.map((_, i) => i));
          }
          const events = db.prepare("SELECT count(*) AS n FROM events WHERE action = 'publish'").get() as { n: number };
          expect(events.n).toBe(rows.length);
          const pages = Number(BACKUP_LINE.exec(b.out)![2]);
          expect(db.pragma('page_count', { simple: true })).toBe(pages);
        } finally {
          db.close();
        }
        expect(Number(BACKUP_LINE.exec(b.out)![3])).toBe(statSync(b.file).size);
      }
      // Nothing but the database, its WAL files and the backups: no temporary file left.
      expect(readdirSync(dir).sort()).toEqual(['b1.db', 'b2.db', 'b3.db', 'r.db', 'r.db-shm', 'r.db-wal']);
    } finally {
      stop = true;
      await Promise.allSettled(streams);
    }

    // A server on the backup answers with the templates it holds (the backup's tokens work too).
    const held = versionCount(join(dir, 'b3.db'));
    const served = await serveProcess(join(dir, 'b3.db'));
    const res = await fetch(`${served.url}/api/v1/templates`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { templates: { ref: string }[] };
    expect(body.templates.map((t) => t.ref).sort()).toEqual(Array.from({ length: STREAMS }, (_, n) => `account.stream${n}`));
    const detail = await fetch(`${served.url}/api/v1/templates/account.stream0`, { headers: { Authorization: `Bearer ${token}` } });
    expect(detail.status).toBe(200);
    expect(held).toBeGreaterThanOrEqual(150);
  }, 120_000);

  test('a missing database is exit 2 with the way to create one, and no backup is made', async () => {
    const dir = tempDir();
    const r = await runCli(['registry', 'backup', '--db', 'rgistry.db', '--to', 'b.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `no registry database at ${join(dir, 'rgistry.db')}; \`pipewright registry init --db rgistry.db\` creates one`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  test('an existing backup is replaced only with --force; the database itself, a folder and a non-registry file are refused', async () => {
    const dir = tempDir({ 'b.db': 'an older backup', 'notes.db': 'not sqlite at all, just some text long enough to be a header' });
    expect((await runCli(['registry', 'init', '--db', 'r.db'], dir)).code).toBe(0);

    const kept = await runCli(['registry', 'backup', '--db', 'r.db', '--to', 'b.db'], dir);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toContain(`${join(dir, 'b.db')} already exists; --force replaces it`);
    expect(readFileSync(join(dir, 'b.db'), 'utf8')).toBe('an older backup');

    const replaced = await runCli(['registry', 'backup', '--db', 'r.db', '--to', 'b.db', '--force'], dir);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(BACKUP_LINE);
    expect(versionCount(join(dir, 'b.db'))).toBe(0);

    const itself = await runCli(['registry', 'backup', '--db', 'r.db', '--to', './r.db', '--force'], dir);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toContain('is the database itself');

    const folder = await runCli(['registry', 'backup', '--db', 'r.db', '--to', 'missing/b.db'], dir);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`${join(dir, 'missing')} is not a folder`);

    const notRegistry = await runCli(['registry', 'backup', '--db', 'notes.db', '--to', 'n.db'], dir);
    expect(notRegistry.code).toBe(2);
    expect(notRegistry.stderr).toContain(`${join(dir, 'notes.db')} is not a registry database`);

    // A backup that is open somewhere (its WAL beside it) is not replaced under that process.
    writeFileSync(join(dir, 'b.db-wal'), '');
    const open = await runCli(['registry', 'backup', '--db', 'r.db', '--to', 'b.db', '--force'], dir);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('a process has it open');

    expect(readdirSync(dir).sort()).toEqual(['b.db', 'b.db-wal', 'notes.db', 'r.db']);
  });
});
