/**
 * `pipewright gc` prunes `.pipewright/runs/` (issue 13, point 8): it keeps the newest `--keep N`
 * runs (default 50) and drops those older than `--older-than`, never a run whose runner is
 * still alive.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { processStartTime } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { BIN } from './harness.js';

/** Run folders named as runs are (time-ordered ids); `alive` ones record this test process as runner. */
function runs(dir: string, ids: string[], alive: string[] = []): string {
  for (const id of ids) {
    const d = join(dir, '.pw', 'runs', id);
    mkdirSync(join(d, 'logs'), { recursive: true });
    const runner = alive.includes(id) ? { pid: process.pid, start: processStartTime(process.pid) } : { pid: 999999, start: 1 };
    writeFileSync(join(d, 'state.json'), JSON.stringify({ runId: id, runner, groups: [] }));
    writeFileSync(join(d, 'report.json'), '{}');
  }
  return join(dir, '.pw', 'runs');
}

const gc = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', ...args], { cwd: dir, encoding: 'utf8' });
const IDS = [
  '20261101-000000-aaaaaa',
  '20261102-000000-bbbbbb',
  '20261103-000000-cccccc',
  '20261104-000000-dddddd',
  '20261105-000000-eeeeee',
];

describe('gc prunes old runs', () => {
  test('--keep N keeps the newest N runs, and never one whose runner is alive', () => {
    const dir = tempDir({}, 'pw-prune-');
    const root = runs(dir, IDS, [IDS[0]!]);
    const r = gc(dir, '--keep', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(root).sort()).toEqual([IDS[0], IDS[3], IDS[4]]);
    expect(r.stdout).toMatch(/2 old runs removed/);
  });

  test('--older-than removes runs older than the duration (by their id time, else the folder time)', () => {
    const dir = tempDir({}, 'pw-prune-age-');
    const now = new Date();
    const fresh = `${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-ffffff`;
    const root = runs(dir, [...IDS, fresh, 'hand-made']);
    const old = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(join(root, 'hand-made'), old, old);
    expect(gc(dir, '--older-than', '7d').status).toBe(0);
    expect(readdirSync(root)).toEqual([fresh]);
  });

  test('by default the newest 50 runs are kept', () => {
    const dir = tempDir({}, 'pw-prune-default-');
    const ids = Array.from({ length: 53 }, (_, i) => `20261001-${String(i).padStart(6, '0')}-abcdef`);
    const root = runs(dir, ids);
    expect(gc(dir).status).toBe(0);
    const left = readdirSync(root).sort();
    expect(left).toHaveLength(50);
    expect(left[0]).toBe(ids[3]);
    expect(existsSync(join(root, ids[0]!))).toBe(false);
  });

  test('a bad --keep or --older-than is exit 2', () => {
    const dir = tempDir({}, 'pw-prune-bad-');
    expect(gc(dir, '--keep', '-1').status).toBe(2);
    expect(gc(dir, '--older-than', 'soon').status).toBe(2);
  });
});
