/**
 * The host-backend scenarios again on a real Docker Engine (see test/support/docker-env.ts for
 * when these are skipped).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';
import { containersOf, dockerAvailable, DOCKER, ensureTestImage, TEST_IMAGE } from '../support/docker-env.js';
import { freePort, pipeline, runYaml, until } from './harness.js';

const available = dockerAvailable();
const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const docker = { bin: DOCKER };

const step = (type: string, id: string, spec: string, extra = '') => `              - step:
                  type: ${type}
                  name: ${id}
                  identifier: ${id}
${extra}                  spec:
                    image: ${TEST_IMAGE}
${spec
  .split('\n')
  .filter(Boolean)
  .map((l) => `                    ${l}`)
  .join('\n')}
`;
const httpd = (port: number, readiness: string) =>
  step('Background', 'web', `entrypoint: [httpd, -f, -p, "${port}", -h, /harness]\n${readiness}`);

describe.skipIf(!available)('Docker backend', () => {
  beforeAll(() => ensureTestImage());

  test.each([
    ['tcp', (p: number) => `readiness: {tcp: {port: ${p}}, timeout: 20s, interval: 50ms}`],
    ['http', (p: number) => `readiness: {http: {url: "http://127.0.0.1:${p}/index.html", status: 200}, timeout: 20s, interval: 50ms}`],
    ['exec', (p: number) => `readiness: {exec: {command: "wget -qO- http://127.0.0.1:${p}/index.html"}, timeout: 20s, interval: 50ms}`],
    ['log', () => `readiness: {log: {pattern: "listening"}, timeout: 20s}`],
  ])(
    '%s probe inside the stage namespace',
    async (kind, readiness) => {
      const port = await freePort();
      const dir = tempDir({ 'index.html': 'ok\n' }, 'pw-dock-');
      const entry =
        kind === 'log'
          ? `shell: Sh\ncommand: httpd -p ${port} -h /harness; echo listening; sleep 300`
          : `entrypoint: [httpd, -f, -p, "${port}", -h, /harness]`;
      const r = await runYaml(
        pipeline(
          step('Background', 'web', `${entry}\n${readiness(port)}`) +
            step('Run', 'use', `shell: Sh\ncommand: wget -qO- http://web:${port}/index.html`),
        ),
        { docker, graceMs: 2000, workspace: dir },
      );
      expect(r.report.status, r.out).toBe('success');
      expect(r.out).toMatch(/\[s\.use\] ok/);
      expect(containersOf(r.runner.runId)).toEqual([]);
    },
    30_000,
  );

  test('workspace at /harness, service reachable, outputs between containers, host step beside', async () => {
    const port = await freePort();
    const dir = tempDir({ 'index.html': 'hello from the workspace\n' }, 'pw-dock-');
    const { Runner } = await import('../../runtime/index.js');
    const { planOf } = await import('./harness.js');
    let out = '';
    const plan = await planOf(
      pipeline(
        httpd(port, `readiness: {http: {url: "http://127.0.0.1:${port}/index.html", status: 200}, timeout: 20s, interval: 50ms}`) +
          step(
            'Run',
            'call',
            `shell: Sh\ncommand: |\n  wget -qO- http://web:${port}/index.html\n  export GOT="$(wget -qO- http://localhost:${port}/index.html)"\n  pwd > where\noutputVariables: [{name: GOT}]`,
          ) +
          step('Run', 'second', 'shell: Sh\ncommand: echo "second saw <+steps.call.output.outputVariables.GOT>"') +
          `              - step: {type: Run, name: host, identifier: host, spec: {shell: Sh, command: "echo host got <+steps.call.output.outputVariables.GOT>"}}\n`,
      ),
    );
    const runner = new Runner(plan, {
      home: join(dir, '.pw'),
      workspace: dir,
      graceMs: 2000,
      docker,
      console: { write: (s: string) => (out += s) },
    });
    const report = await runner.run();
    expect(report.status, out).toBe('success');
    expect(out).toMatch(/\[s\.call\] hello from the workspace/);
    expect(out).toMatch(/\[s\.second\] second saw hello from the workspace/);
    expect(out).toMatch(/\[s\.host\] host got hello from the workspace/);
    expect(readFileSync(join(dir, 'where'), 'utf8').trim()).toBe('/harness');
    expect(containersOf(runner.runId)).toEqual([]);
  });

  test("a Plugin step's outputs are the KEY=value lines it appends to $DRONE_OUTPUT, as Harness reads them (it declares none)", async () => {
    const dir = tempDir({}, 'pw-dock-');
    const plugin = step(
      'Plugin',
      'pub',
      `entrypoint: [sh, -c, 'echo "DRAFT_URL=https://draft.example/1" >> "$DRONE_OUTPUT"; echo export STATUS=\\"ok\\" >> "$DRONE_OUTPUT"']`,
    );
    const r = await runYaml(
      pipeline(
        plugin +
          step(
            'Run',
            'use',
            'shell: Sh\ncommand: echo "got <+steps.pub.output.outputVariables.DRAFT_URL> <+steps.pub.output.outputVariables.STATUS>"',
          ),
      ),
      { docker, graceMs: 2000, workspace: dir },
    );
    expect(r.report.status, r.out).toBe('success');
    expect(r.out).toMatch(/\[s\.use\] got https:\/\/draft\.example\/1 ok/);
  }, 30_000);

  test('readiness that never comes, an early crash, a timeout: failures, and no container left', async () => {
    const { Runner } = await import('../../runtime/index.js');
    const { planOf } = await import('./harness.js');
    const dir = tempDir({}, 'pw-dock-');
    const plan = await planOf(
      `pipeline:\n  name: t\n  identifier: t\n  stages:\n` +
        [
          [
            'never',
            step(
              'Background',
              'db',
              'shell: Sh\ncommand: echo booting; sleep 300\nreadiness: {tcp: {port: 5999}, timeout: 800ms, interval: 50ms}',
            ),
          ],
          ['crash', step('Background', 'db', 'shell: Sh\ncommand: echo oops; exit 3\nreadiness: {tcp: {port: 5999}, timeout: 20s}')],
          ['slow', step('Run', 'slow', 'shell: Sh\ncommand: sleep 300', '                  timeout: 1s\n')],
        ]
          .map(
            ([id, s]) =>
              `    - stage:\n        name: ${id}\n        identifier: ${id}\n        type: CI\n        when: {pipelineStatus: All}\n        spec:\n          execution:\n            steps:\n${s}`,
          )
          .join(''),
    );
    const runner = new Runner(plan, { home: join(dir, '.pw'), workspace: dir, graceMs: 1000, docker });
    const report = await runner.run();
    const byId = Object.fromEntries(report.steps.map((s) => [s.id, s]));
    expect(byId['never.db']).toMatchObject({ status: 'failed', errorType: 'Readiness' });
    expect(byId['never.db']!.error).toMatch(/readiness of never\.db not reached after 800 ms; last log lines:\n {2}booting/);
    expect(byId['crash.db']).toMatchObject({ status: 'failed', errorType: 'Exited', exitCode: 3 });
    expect(byId['slow.slow']).toMatchObject({ status: 'failed', errorType: 'Timeout' });
    expect(byId['slow.slow']!.durationMs).toBeLessThan(8000);
    expect(containersOf(runner.runId)).toEqual([]);
  });

  test('runAsUser, resources and a service dependency with args map to docker options', async () => {
    const port = await freePort();
    const yaml =
      `pipeline:\n  name: t\n  identifier: t\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          serviceDependencies:\n            - identifier: web\n              name: web\n              type: Service\n              spec:\n                image: ${TEST_IMAGE}\n                entrypoint: [httpd]\n                args: [-f, -p, "${port}"]\n                readiness: {tcp: {port: ${port}}, timeout: 20s, interval: 50ms}\n          execution:\n            steps:\n` +
      step(
        'Run',
        'who',
        `shell: Sh\nrunAsUser: "1234"\nresources: {limits: {memory: 64Mi, cpu: 500m}}\ncommand: |\n  echo "uid=$(id -u)"\n  cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes\n  wget -qO /dev/null http://web:${port}/ 2>&1 | grep -q HTTP/1 && echo service-answered`,
      );
    const r = await runYaml(yaml, { docker, graceMs: 1000 });
    expect(r.report.status, r.out).toBe('success');
    expect(r.out).toMatch(/\[s\.who\] uid=1234/);
    expect(r.out).toMatch(/\[s\.who\] 67108864/);
    expect(r.out).toMatch(/\[s\.who\] service-answered/);
    expect(r.step('s.web').readyMs).toBeGreaterThanOrEqual(0);
  }, 30_000);

  test('a background step run as another user still stops at once on SIGTERM (init as PID 1)', async () => {
    const yaml = pipeline(
      step('Background', 'idle', 'shell: Sh\nrunAsUser: "1234"\ncommand: sleep 300') + step('Run', 'go', 'shell: Sh\ncommand: "true"'),
    );
    const t0 = Date.now();
    const r = await runYaml(yaml, { docker, graceMs: 8000 });
    expect(r.report.status, r.out).toBe('success');
    // Without an init, `sh` as PID 1 ignores SIGTERM and the stage waits out the 8 s grace.
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(containersOf(r.runner.runId)).toEqual([]);
  }, 30_000);

  test('imagePullPolicy Never with an absent image fails clearly', async () => {
    const r = await runYaml(
      pipeline(step('Run', 'x', 'imagePullPolicy: Never\nshell: Sh\ncommand: "true"').replace(TEST_IMAGE, 'pipewright-test/absent:0')),
      { docker },
    );
    expect(r.step('s.x')).toMatchObject({ status: 'failed', errorType: 'Start' });
    expect(r.step('s.x').error).toMatch(/image pipewright-test\/absent:0 is not present and imagePullPolicy is Never/);
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s to the runner removes every container of the run',
    async (signal, code) => {
      const dir = tempDir({}, 'pw-dock-sig-');
      writeFileSync(
        join(dir, 'p.yaml'),
        pipeline(
          step('Background', 'svc', 'shell: Sh\ncommand: sleep 300') + step('Run', 'long', 'shell: Sh\ncommand: touch started; sleep 300'),
        ),
      );
      const child = spawn(process.execPath, [BIN, 'run', 'p.yaml', '--workspace', '.', '--home', '.pw', '--grace', '1s', '--quiet'], {
        cwd: dir,
        stdio: 'ignore',
      });
      const exit = new Promise((r) => child.once('exit', r));
      expect(await until(() => readdirSync(dir).includes('started'), 20_000)).toBe(true);
      const runId = readdirSync(join(dir, '.pw', 'runs'))[0]!;
      expect(containersOf(runId).length).toBeGreaterThanOrEqual(2);
      child.kill(signal);
      expect(await exit).toBe(code);
      expect(containersOf(runId)).toEqual([]);
    },
    40_000,
  );

  test('gc removes the containers of a runner killed with SIGKILL', async () => {
    const dir = tempDir({}, 'pw-dock-gc-');
    writeFileSync(
      join(dir, 'p.yaml'),
      pipeline(
        step('Background', 'svc', 'shell: Sh\ncommand: sleep 300') + step('Run', 'long', 'shell: Sh\ncommand: touch started; sleep 300'),
      ),
    );
    const child = spawn(process.execPath, [BIN, 'run', 'p.yaml', '--workspace', '.', '--home', '.pw', '--quiet'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const exit = new Promise((r) => child.once('exit', r));
    expect(await until(() => readdirSync(dir).includes('started'), 20_000)).toBe(true);
    const runId = readdirSync(join(dir, '.pw', 'runs'))[0]!;
    child.kill('SIGKILL');
    await exit;
    expect(containersOf(runId).length).toBeGreaterThanOrEqual(2);
    const gc = spawnSync(process.execPath, [BIN, 'gc', '--home', '.pw', '--grace', '1s'], { cwd: dir, encoding: 'utf8' });
    expect(gc.status).toBe(0);
    expect(gc.stdout).toMatch(/removed [1-9]\d* containers/);
    expect(containersOf(runId)).toEqual([]);
  }, 40_000);
});
