/**
 * Defects a hostile review of the runtime found after the first hardening round, each
 * reproduced here with real processes: aborts that did not reach a retry wait, a probe a
 * trickling server held for ever, a run-time regex crashing the runner, an entrypoint that
 * injected into the runner's shell, secrets kept or shown, the output trap changing what a
 * command means, escapees that rewrote their environment or restarted themselves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { markedProcesses, Runner } from '../../runtime/index.js';
import { REPO, tempDir } from '../helpers.js';
import { alive, freePort, pipeline, planOf, readPid, runYaml, until } from '../runtime/harness.js';

const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
/** A step item; `spec` is YAML for the step's spec (command blocks welcome). */
const step = (type: string, id: string, spec: string, extra = '') =>
  `              - step:\n                  type: ${type}\n                  name: ${id}\n                  identifier: ${id}\n${extra}                  spec:\n${indent(spec, 20)}\n`;
const cmd = (text: string) => `shell: Sh\ncommand: |\n${indent(text, 2)}`;
const WAIT_ESCAPED = 'while [ "$(cat /proc/$!/comm)" != sleep ] || [ "$(cut -d" " -f6 /proc/$!/stat)" = "$$" ]; do sleep 0.01; done';

describe('aborts reach every wait', () => {
  test('SIGINT during a retry interval ends the step at once; no further attempt starts', async () => {
    const dir = tempDir({}, 'pw-retry-');
    const retry =
      '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: Retry, spec: {retryCount: 2, retryIntervals: [5s], onRetryFailure: {type: Abort}}}}\n';
    const runner = new Runner(await planOf(pipeline(step('Run', 'flaky', cmd('echo attempt >> attempts\nexit 1'), retry))), {
      home: join(dir, '.pw'),
      workspace: dir,
      graceMs: 300,
    });
    const running = runner.run();
    await until(() => existsSync(join(dir, 'attempts')), 5000);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    runner.abort('SIGINT');
    const report = await running;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(readFileSync(join(dir, 'attempts'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(report.steps[0]).toMatchObject({ status: 'aborted', attempts: 1 });
  }, 20_000);

  test('a step failing beside a retrying one aborts the retries too', async () => {
    const retry =
      '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: Retry, spec: {retryCount: 3, retryIntervals: [2s]}}}\n';
    const par = `              - parallel:\n${indent(step('Run', 'flaky', cmd('echo attempt >> attempts\nexit 1'), retry), 4)}\n${indent(step('Run', 'bad', cmd('sleep 0.3\nexit 1')), 4)}\n`;
    const t0 = Date.now();
    const r = await runYaml(pipeline(par), { graceMs: 300 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(readFileSync(join(r.dir, 'attempts'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(r.step('s.flaky').status).toBe('aborted');
  }, 20_000);

  test('SIGINT reports a healthy service as stopped, not as failed', async () => {
    const dir = tempDir({}, 'pw-sigsvc-');
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      pipeline(step('Background', 'svc', cmd('echo up\nexec sleep 60')) + step('Run', 'long', cmd('touch started\nsleep 60'))),
    );
    const child = spawn(
      process.execPath,
      [BIN, 'run', 'pipeline.yaml', '--workspace', '.', '--home', '.pw', '--grace', '300ms', '--quiet'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    expect(await until(() => existsSync(join(dir, 'started')), 10_000)).toBe(true);
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(out).not.toMatch(/exited before the stage ended/);
    const run = readdirSync(join(dir, '.pw', 'runs'))[0]!;
    const report = JSON.parse(readFileSync(join(dir, '.pw', 'runs', run, 'report.json'), 'utf8')) as {
      steps: { id: string; status: string }[];
    };
    expect(report.steps.find((s) => s.id === 's.svc')!.status).not.toBe('failed');
  }, 20_000);
});

describe('probes are bounded', () => {
  test('an HTTP probe against a server that trickles its headers for ever gives up at its timeout', async () => {
    const port = await freePort();
    // Headers that never end, a byte every 100 ms: a socket idle timeout never fires.
    const trickle = `import socket, threading, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen()\ndef serve(c):\n    try:\n        c.recv(4096); c.sendall(b"HTTP/1.1 200 OK\\r\\nX-Slow: ")\n        while True:\n            c.sendall(b"a"); time.sleep(0.1)\n    except OSError:\n        pass\nwhile True:\n    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()\n`;
    const dir = tempDir({ 'trickle.py': trickle }, 'pw-trickle-');
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(
        step(
          'Background',
          'web',
          `shell: Sh\ncommand: exec python3 ${join(dir, 'trickle.py')}\nreadiness: {http: {url: "http://127.0.0.1:${port}/", status: 200}, timeout: 2s, interval: 100ms}`,
        ),
      ),
      { graceMs: 300 },
    );
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r.step('s.web')).toMatchObject({ status: 'failed', errorType: 'Readiness' });
  }, 20_000);

  test('an HTTP probe is answered by the status line: a body that trickles for ever does not hold it', async () => {
    const port = await freePort();
    const trickle = `import socket, threading, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen()\ndef serve(c):\n    try:\n        c.recv(4096); c.sendall(b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")\n        while True:\n            c.sendall(b"1\\r\\nx\\r\\n"); time.sleep(0.1)\n    except OSError:\n        pass\nwhile True:\n    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()\n`;
    const dir = tempDir({ 'trickle.py': trickle }, 'pw-trickle-');
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(
        step(
          'Background',
          'web',
          `shell: Sh\ncommand: exec python3 ${join(dir, 'trickle.py')}\nreadiness: {http: {url: "http://127.0.0.1:${port}/", status: 200}, timeout: 5s, interval: 100ms}`,
        ) + step('Run', 'use', cmd('echo used')),
      ),
      { graceMs: 300 },
    );
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.step('s.web').status).toBe('success');
    expect(r.step('s.use').status).toBe('success');
  }, 20_000);

  test('a Background step\u2019s own timeout bounds its readiness wait', async () => {
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(
        step(
          'Background',
          'svc',
          'shell: Sh\ncommand: exec sleep 60\nreadiness: {exec: {command: "false"}, timeout: 30s, interval: 100ms}',
          '                  timeout: 1s\n',
        ),
      ),
      { graceMs: 300 },
    );
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.step('s.svc').error).toMatch(/not reached after 1000 ms/);
  }, 20_000);

  test('a catastrophic log pattern is matched in linear time (RE2): the readiness timeout holds', async () => {
    const t0 = Date.now();
    const r = await runYaml(
      pipeline(
        step(
          'Background',
          'svc',
          `shell: Sh\ncommand: |\n  printf '${'a'.repeat(34)}!\\n'\n  exec sleep 30\nreadiness: {log: {pattern: "^(a+)+$"}, timeout: 2s}`,
        ),
      ),
      { graceMs: 300 },
    );
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Readiness' });
  }, 30_000);

  test('a log pattern that is an invalid regex only at run time fails the step clearly, stops the service and writes the report', async () => {
    const r = await runYaml(
      pipeline(
        step('Run', 'a', cmd("P='(bad'"), '').replace('spec:\n', 'spec:\n                    outputVariables: [{name: P}]\n') +
          step(
            'Background',
            'svc',
            'shell: Sh\ncommand: |\n  echo $$ > svc.pid\n  echo up\n  exec sleep 60\nreadiness: {log: {pattern: "<+steps.a.output.outputVariables.P>"}, timeout: 5s}',
          ),
      ),
      { graceMs: 300 },
    );
    const pid = readPid(r.dir, 'svc.pid');
    leftovers.push(pid);
    expect(r.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Readiness' });
    expect(r.step('s.svc').error).toMatch(/not a valid regular expression/);
    expect(existsSync(join(r.runner.runDir, 'report.json'))).toBe(true);
    expect(alive(pid)).toBe(false);
  }, 20_000);
});

describe('an entrypoint never reaches a shell of the runner', () => {
  test('an entrypoint naming a shell command line is "command not found", not run', async () => {
    const r = await runYaml(pipeline(step('Background', 'inj', 'entrypoint: ["true; touch pwned; #"]')), { graceMs: 300 });
    expect(r.step('s.inj')).toMatchObject({ status: 'failed', errorType: 'Start' });
    expect(r.step('s.inj').error).toMatch(/command not found/);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    expect(existsSync(join(REPO, 'pwned'))).toBe(false);
  });

  test('relative and bare entrypoints still start', async () => {
    const dir = tempDir({ 'svc.sh': '#!/bin/sh\necho relative-ok\n' }, 'pw-ep-');
    spawnSync('chmod', ['+x', join(dir, 'svc.sh')]);
    const runner = new Runner(
      await planOf(
        pipeline(
          step(
            'Background',
            'rel',
            'entrypoint: ["./svc.sh"]',
            '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: Ignore}}\n',
          ) + step('Background', 'bare', 'entrypoint: [sleep, "5"]'),
        ),
      ),
      { home: join(dir, '.pw'), workspace: dir, graceMs: 300 },
    );
    const report = await runner.run();
    expect(readFileSync(report.steps[0]!.log!, 'utf8')).toContain('relative-ok');
    expect(report.steps[1]!.status).toBe('success');
  });
});

describe('secrets, again', () => {
  const SECRET = 'qq-s3cret-value-19';

  test('a secret in an entrypoint or args is warned about in the step log', async () => {
    const r = await runYaml(pipeline(step('Background', 'svc', 'entrypoint: ["sh", "-c", "exec sleep 5", "<+secrets.getValue(\'x\')>"]')), {
      secrets: { x: SECRET },
      graceMs: 300,
    });
    expect(readFileSync(r.step('s.svc').log!, 'utf8')).toMatch(/warning: a secret is in the entrypoint or args/);
  });

  test('a multi-line secret is masked line by line; a secret quoted inside JSON is masked', async () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END KEY-----';
    const quoted = 'ab"cd\\ef-xyz';
    const r = await runYaml(
      pipeline(
        step('Run', 'ml', cmd('echo "<+secrets.getValue(\'pem\')>"'), '') +
          step(
            'Run',
            'cond',
            cmd('echo no'),
            `                  when: {stageStatus: Success, condition: '<+secrets.getValue("q")> == "nope"'}\n`,
          ),
      ),
      { secrets: { pem, q: quoted } },
    );
    const log = readFileSync(r.step('s.ml').log!, 'utf8');
    expect(log).not.toContain('MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX');
    expect(r.out).not.toContain('MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX');
    const report = readFileSync(join(r.runner.runDir, 'report.json'), 'utf8');
    expect(report).not.toContain('ab\\"cd\\\\ef-xyz');
    expect(report).not.toContain('MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX');
  });

  test('a failed attempt keeps no output file', async () => {
    const r = await runYaml(
      pipeline(
        step(
          'Run',
          'out',
          `shell: Sh\noutputVariables: [{name: TOK}]\ncommand: |\n  TOK="<+secrets.getValue('x')>"\n  exit 1`,
          '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: Ignore}}\n',
        ),
      ),
      { secrets: { x: SECRET } },
    );
    const outputs = join(r.runner.runDir, 'outputs');
    expect(existsSync(outputs) ? readdirSync(outputs) : []).toEqual([]);
  });

  test('gc removes the scripts and output files a killed runner left', async () => {
    const dir = tempDir({}, 'pw-gc-scripts-');
    writeFileSync(join(dir, 'pipeline.yaml'), pipeline(step('Run', 'a', cmd(`T="<+secrets.getValue('x')>"\ntouch started\nsleep 60`))));
    const child = spawn(process.execPath, [BIN, 'run', 'pipeline.yaml', '--workspace', '.', '--home', '.pw', '--quiet'], {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, PIPEWRIGHT_SECRET_X: SECRET },
    });
    expect(await until(() => existsSync(join(dir, 'started')), 10_000)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const run = readdirSync(join(dir, '.pw', 'runs'))[0]!;
    expect(readdirSync(join(dir, '.pw', 'runs', run, 'scripts'))).not.toEqual([]);
    expect(spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--grace', '300ms'], { cwd: dir }).status).toBe(0);
    expect(existsSync(join(dir, '.pw', 'runs', run, 'scripts'))).toBe(false);
  }, 20_000);
});

describe('the output trap leaves the command its meaning', () => {
  test('set -C (noclobber) in the command does not break the outputs', async () => {
    const r = await runYaml(pipeline(step('Run', 'c', 'shell: Sh\noutputVariables: [{name: X}]\ncommand: |\n  X=1\n  set -C\n  echo hi')));
    expect(r.step('s.c')).toMatchObject({ status: 'success', exitCode: 0, outputs: { X: '1' } });
  });

  test('a Python script may start with a __future__ import and still set outputs', async () => {
    const r = await runYaml(
      pipeline(
        step(
          'Run',
          'p',
          'shell: Python\noutputVariables: [{name: X}]\ncommand: |\n  from __future__ import annotations\n  import os\n  os.environ["X"] = "py"',
        ),
      ),
    );
    expect(r.step('s.p')).toMatchObject({ status: 'success', outputs: { X: 'py' } });
  });
});

describe('escapees that hide or come back', () => {
  test('one that removed its step id from its environment is stopped when its stage ends, and reported on the stage', async () => {
    const stage2 = `    - stage:\n        name: s2\n        identifier: s2\n        type: CI\n        spec:\n          execution:\n            steps:\n${step('Run', 'check', cmd('state=$(cut -d" " -f3 /proc/$(cat hidden.pid)/stat 2>/dev/null || true)\nif [ -n "$state" ] && [ "$state" != Z ]; then echo alive > seen; else echo gone > seen; fi'))}`;
    const r = await runYaml(
      pipeline(
        step(
          'Run',
          'hide',
          cmd(`setsid env -u PIPEWRIGHT_STEP_ID sleep 60 >/dev/null 2>&1 </dev/null & echo $! > hidden.pid\n${WAIT_ESCAPED}`),
        ),
      ) + stage2,
      { graceMs: 300 },
    );
    leftovers.push(readPid(r.dir, 'hidden.pid'));
    expect(readFileSync(join(r.dir, 'seen'), 'utf8').trim()).toBe('gone');
    expect(r.report.stages[0]!.escaped).toEqual([{ pid: readPid(r.dir, 'hidden.pid'), name: 'sleep' }]);
  }, 20_000);

  test('one that restarts itself on SIGTERM is stopped too', async () => {
    // Each generation's pid is written by its parent as it is forked, so every one is checked.
    const phoenix =
      '#!/bin/sh\ntrap \'setsid sh "$0" child </dev/null >/dev/null 2>&1 & echo $! >> "$PWD/phoenix.pids"; exit 0\' TERM\nwhile :; do sleep 0.05; done\n';
    const dir = tempDir({ 'phoenix.sh': phoenix }, 'pw-phoenix-');
    const runner = new Runner(
      await planOf(
        pipeline(step('Run', 'p', cmd(`setsid sh phoenix.sh </dev/null >/dev/null 2>&1 &\necho $! >> phoenix.pids\nsleep 0.3`))),
      ),
      { home: join(dir, '.pw'), workspace: dir, graceMs: 300 },
    );
    await runner.run();
    await new Promise((r) => setTimeout(r, 500));
    const pids = readFileSync(join(dir, 'phoenix.pids'), 'utf8').trim().split('\n').map(Number);
    leftovers.push(...pids);
    expect(pids.length).toBeGreaterThan(1);
    expect(pids.filter(alive)).toEqual([]);
    expect(markedProcesses(runner.runId)).toEqual([]);
  }, 20_000);

  test('after SIGKILL of the runner, gc stops an escapee that scrubbed its environment but holds the pipes', async () => {
    const dir = tempDir({}, 'pw-gc-pipes-');
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      pipeline(
        step('Background', 'svc', cmd(`setsid env -i sleep 60 & echo $! > esc.pid\n${WAIT_ESCAPED}\nexec sleep 60`)) +
          step('Run', 'long', cmd('sleep 60')),
      ),
    );
    const child = spawn(process.execPath, [BIN, 'run', 'pipeline.yaml', '--workspace', '.', '--home', '.pw', '--quiet'], {
      cwd: dir,
      stdio: 'ignore',
    });
    expect(await until(() => readPid(dir, 'esc.pid') > 0, 10_000)).toBe(true);
    const pid = readPid(dir, 'esc.pid');
    leftovers.push(pid);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(alive(pid)).toBe(true);
    const gc = spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--grace', '300ms', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(gc.status).toBe(0);
    expect(await until(() => !alive(pid), 3000)).toBe(true);
  }, 20_000);
});
