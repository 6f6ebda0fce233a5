/**
 * Processes that leave their step's process group (`setsid`, double forks) never hang the
 * runner: a step ends when its process exits (or its timeout or teardown fires), whatever
 * still holds its output pipes. What escaped is reported by name and pid, in the step's log
 * and the report, and killed at teardown; `gc` finds such processes of a killed runner by the
 * run's marker in their environment.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '../helpers.js';
import { alive, BIN, pipeline, readPid, runYaml, startRun, until } from '../runtime/harness.js';

const leftovers: number[] = [];
/**
 * Waits until the background job has really left the group (setsid done, sleep exec'd): a
 * step that ends sooner takes its not-yet-escaped child down with its group, as it should.
 */
const ESCAPED = 'while [ "$(cat /proc/$!/comm)" != sleep ] || [ "$(cut -d" " -f6 /proc/$!/stat)" = "$$" ]; do sleep 0.01; done';
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

const run = (id: string, command: string, extra = '') =>
  `              - step:\n                  type: Run\n                  name: ${id}\n                  identifier: ${id}\n${extra}                  spec:\n                    shell: Sh\n                    command: |\n${command
    .split('\n')
    .map((l) => `                      ${l}`)
    .join('\n')}\n`;
const background = (id: string, command: string) =>
  `              - step:\n                  type: Background\n                  name: ${id}\n                  identifier: ${id}\n                  spec:\n                    shell: Sh\n                    command: |\n${command
    .split('\n')
    .map((l) => `                      ${l}`)
    .join('\n')}\n`;

describe('a process that escapes its step', () => {
  test('a Run step that exits leaving a setsid process behind ends at once; the process is reported and killed', async () => {
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(run('esc', `setsid sleep 60 & echo $! > esc.pid\n${ESCAPED}\necho started`, '                  timeout: 3s\n')),
      { graceMs: 500 },
    );
    const pid = readPid(r.dir, 'esc.pid');
    leftovers.push(pid);
    expect(r.report.status).toBe('success');
    expect(Date.now() - t0).toBeLessThan(3000);
    const step = r.step('s.esc');
    expect(step.escaped).toEqual([{ pid, name: 'sleep' }]);
    expect(readFileSync(step.log!, 'utf8')).toMatch(new RegExp(`escaped.*sleep \\(pid ${pid}\\)`));
    expect(alive(pid)).toBe(false);
  }, 15_000);

  test('a Run step that times out with a setsid process holding its pipes ends within timeout + grace', async () => {
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(run('esc', 'setsid sleep 60 & echo $! > esc.pid\necho started\nsleep 60', '                  timeout: 2s\n')),
      { graceMs: 500 },
    );
    const elapsed = Date.now() - t0;
    const pid = readPid(r.dir, 'esc.pid');
    leftovers.push(pid);
    expect(r.step('s.esc')).toMatchObject({ status: 'failed', errorType: 'Timeout', escaped: [{ pid, name: 'sleep' }] });
    expect(elapsed).toBeLessThan(2000 + 500 + 1000);
    expect(alive(pid)).toBe(false);
  }, 15_000);

  test('a Background step with an escaped process is torn down at stage end and the run ends', async () => {
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(background('svc', 'setsid sleep 60 & echo $! > svc-esc.pid\necho started\nsleep 60') + run('next', 'test -s svc-esc.pid')),
      { graceMs: 500 },
    );
    const pid = readPid(r.dir, 'svc-esc.pid');
    leftovers.push(pid);
    expect(r.report.status).toBe('success');
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.step('s.svc').escaped).toEqual([{ pid, name: 'sleep' }]);
    expect(alive(pid)).toBe(false);
  }, 15_000);

  test('an escaped process that closed its pipes is still found by the run marker in its environment', async () => {
    const r = await runYaml(pipeline(run('quiet', `setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! > quiet.pid\n${ESCAPED}`)), {
      graceMs: 500,
    });
    const pid = readPid(r.dir, 'quiet.pid');
    leftovers.push(pid);
    expect(r.report.status).toBe('success');
    expect(r.step('s.quiet').escaped).toEqual([{ pid, name: 'sleep' }]);
    expect(readFileSync(r.step('s.quiet').log!, 'utf8')).toMatch(new RegExp(`sleep \\(pid ${pid}\\)`));
    expect(alive(pid)).toBe(false);
  }, 15_000);

  test('an escaped process that also scrubbed its environment is found by the pipes it holds', async () => {
    const r = await runYaml(pipeline(run('scrub', `env -i setsid sleep 60 & echo $! > scrub.pid\n${ESCAPED}\necho started`)), {
      graceMs: 500,
    });
    const pid = readPid(r.dir, 'scrub.pid');
    leftovers.push(pid);
    expect(r.step('s.scrub').escaped).toEqual([{ pid, name: 'sleep' }]);
    expect(alive(pid)).toBe(false);
  }, 15_000);

  test('every step carries PIPEWRIGHT_RUN_ID in its environment', async () => {
    const r = await runYaml(pipeline(run('env', 'echo "$PIPEWRIGHT_RUN_ID" > run-id')));
    expect(readFileSync(join(r.dir, 'run-id'), 'utf8').trim()).toBe(r.runner.runId);
  });
});

const startCli = (dir: string, yaml: string) => startRun(dir, yaml);

describe('signals and gc with escaped processes', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s ends a run whose step has an escaped process, and kills it (exit %i)',
    async (signal, code) => {
      const dir = tempDir({}, 'pw-esc-sig-');
      const run1 = startCli(dir, pipeline(run('esc', 'setsid sleep 60 & echo $! > esc.pid\nsleep 60')));
      expect(await until(() => readPid(dir, 'esc.pid') > 0, 10_000)).toBe(true);
      const pid = readPid(dir, 'esc.pid');
      leftovers.push(pid);
      const t0 = Date.now();
      run1.child.kill(signal);
      const exited = await Promise.race([run1.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
      if (exited === 'hung') run1.child.kill('SIGKILL');
      expect(exited, run1.out()).toBe(code);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(alive(pid)).toBe(false);
    },
    20_000,
  );

  test('after SIGKILL of the runner, gc stops an escaped process by the run marker', async () => {
    const dir = tempDir({}, 'pw-esc-gc-');
    const run1 = startCli(dir, pipeline(run('esc', 'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! > esc.pid\nsleep 60')));
    expect(await until(() => readPid(dir, 'esc.pid') > 0, 10_000)).toBe(true);
    const pid = readPid(dir, 'esc.pid');
    leftovers.push(pid);
    const recorded = () => {
      try {
        const runs = readdirSync(join(dir, '.pw', 'runs'));
        return readFileSync(join(dir, '.pw', 'runs', runs[0]!, 'state.json'), 'utf8').includes('"s.esc"');
      } catch {
        return false;
      }
    };
    expect(await until(recorded, 5000)).toBe(true);
    run1.child.kill('SIGKILL');
    await run1.exit;
    expect(alive(pid)).toBe(true);
    const gc = spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--grace', '300ms', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(gc.status).toBe(0);
    const stopped = (
      JSON.parse(gc.stdout) as { processes: { escaped?: { pid: number; name: string; step: string }[] }[] }
    ).processes.flatMap((p) => p.escaped ?? []);
    expect(stopped).toContainEqual({ pid, name: 'sleep', step: 's.esc' });
    expect(await until(() => !alive(pid), 3000)).toBe(true);
  }, 20_000);
});
