/**
 * Teardown through the real CLI process: SIGINT and SIGTERM to the runner stop every process
 * of the run (exit 130 / 143); after SIGKILL of the runner, `pipewright gc` stops what it left
 * behind, and never a process that merely reuses a recorded pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { processStartTime } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { alive, BIN, pipeline, readPid, startRun, until } from './harness.js';

const PIPELINE = pipeline(`              - step:
                  type: Background
                  name: svc
                  identifier: svc
                  spec:
                    shell: Sh
                    command: |
                      sleep 300 & echo $! > svc-child.pid
                      echo $$ > svc.pid
                      wait
              - step:
                  type: Run
                  name: long
                  identifier: long
                  spec:
                    shell: Sh
                    command: |
                      sleep 300 & echo $! > long-child.pid
                      echo $$ > long.pid
                      wait
`);

const start = (dir: string) => startRun(dir, PIPELINE);

const PIDS = ['svc.pid', 'svc-child.pid', 'long.pid', 'long-child.pid'];

describe('teardown on signals and gc', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s to the runner stops every process of the run and exits %i',
    async (signal, code) => {
      const dir = tempDir({}, 'pw-sig-');
      const run = start(dir);
      expect(await until(() => PIDS.every((p) => readPid(dir, p) > 0), 10_000)).toBe(true);
      const pids = PIDS.map((p) => readPid(dir, p));
      expect(pids.every(alive)).toBe(true);
      run.child.kill(signal);
      expect(await run.exit).toBe(code);
      for (const p of pids) expect(alive(p), `pid ${p} survived ${signal}\n${run.out()}`).toBe(false);
      expect(run.out()).toMatch(/s\.long\s+aborted/);
    },
    20_000,
  );

  test('after SIGKILL of the runner, gc stops the leftovers', async () => {
    const dir = tempDir({}, 'pw-gc-');
    const run = start(dir);
    expect(await until(() => PIDS.every((p) => readPid(dir, p) > 0), 10_000)).toBe(true);
    const pids = PIDS.map((p) => readPid(dir, p));
    // The runner records a process group right after starting it; wait until both are recorded.
    const recorded = () => {
      try {
        const runs = readdirSync(join(dir, '.pw', 'runs'));
        const state = readFileSync(join(dir, '.pw', 'runs', runs[0]!, 'state.json'), 'utf8');
        return state.includes('"s.svc"') && state.includes('"s.long"');
      } catch {
        return false;
      }
    };
    expect(await until(recorded, 5000)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exit;
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.every(alive)).toBe(true);
    const gc = spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--grace', '300ms'], { cwd: dir, encoding: 'utf8' });
    expect(gc.status).toBe(0);
    expect(gc.stdout).toMatch(/stopped s\.svc/);
    expect(gc.stdout).toMatch(/stopped s\.long/);
    expect(await until(() => pids.every((p) => !alive(p)), 3000)).toBe(true);
    // A second gc has nothing left to do.
    expect(spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw'], { cwd: dir, encoding: 'utf8' }).stdout).toMatch(
      /^0 process groups stopped/m,
    );
  }, 20_000);

  test('gc never stops a process that merely reuses a recorded pid', () => {
    const dir = tempDir({}, 'pw-gc-reuse-');
    const bystander = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = bystander.pid!;
    const start = processStartTime(pid)!;
    mkdirSync(join(dir, '.pw', 'runs', 'old'), { recursive: true });
    // The recorded group has the bystander's pid, but a different start time: pid reuse.
    writeFileSync(
      join(dir, '.pw', 'runs', 'old', 'state.json'),
      JSON.stringify({ runId: 'old', runner: { pid: 999999, start: 1 }, groups: [{ step: 's.svc', pgid: pid, start: start - 100 }] }),
    );
    const gc = spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(gc.status).toBe(0);
    expect((JSON.parse(gc.stdout) as { processes: unknown[] }).processes[0]).toMatchObject({
      runId: 'old',
      stopped: [],
      skipped: ['s.svc'],
    });
    expect(alive(pid)).toBe(true);
    bystander.kill('SIGKILL');
  });
});
