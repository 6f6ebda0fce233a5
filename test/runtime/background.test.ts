import { describe, expect, test } from 'vitest';
import { alive, freePort, pipeline, readPid, runYaml, until } from './harness.js';

const stepOf =
  (type: string) =>
  (id: string, command: string, extra = '') => `              - step:
                  type: ${type}
                  name: ${id}
                  identifier: ${id}
${extra}                  spec:
                    shell: Sh
                    command: |
                      ${command}
`;
const bg = stepOf('Background');
/** Shell: waits until a file exists in the workspace. */
const untilFile = (name: string) => `until [ -e ${name} ]; do sleep 0.05; done`;
/** Shell: waits until the runner has noted, in the service's log, that it ended early (runYaml's home is in the workspace). */
const untilExitNoted = (id: string) =>
  `until grep -qs "exited before the stage ended" .pipewright/runs/*/logs/${id}.log; do sleep 0.05; done`;
const run = stepOf('Run');
const httpServer = (port: number, delayMs = 0) =>
  `node -e "setTimeout(() => require('http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1', () => console.log('ready to accept')), ${delayMs})"`;

describe('background steps and readiness', () => {
  test.each([
    ['tcp', (p: number) => `readiness: {tcp: {port: ${p}}, timeout: 10s, interval: 50ms}`],
    ['http', (p: number) => `readiness: {http: {url: "http://127.0.0.1:${p}/", status: 200}, timeout: 10s, interval: 50ms}`],
    [
      'exec',
      (p: number) =>
        `readiness: {exec: {command: "node -e \\"require('net').connect(${p}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))\\""}, timeout: 10s, interval: 50ms}`,
    ],
    ['log', () => `readiness: {log: {pattern: "ready to a+ccept"}, timeout: 10s}`],
  ])('%s probe: the next step starts only once the service answers', async (_kind, readiness) => {
    const port = await freePort();
    const yaml = pipeline(
      bg('svc', httpServer(port, 400)).replace(
        '                    command: |',
        `                    ${readiness(port)}\n                    command: |`,
      ) + run('use', `node -e "fetch('http://127.0.0.1:${port}/').then(r => r.text()).then(t => console.log('got', t))"`),
    );
    const r = await runYaml(yaml);
    expect(r.report.status).toBe('success');
    expect(r.out).toMatch(/\[s\.use\] got ok/);
    expect(r.step('s.svc').readyMs).toBeGreaterThanOrEqual(300);
  });

  test('portBindings without readiness probe the host ports', async () => {
    const port = await freePort();
    const yaml = pipeline(
      bg('svc', httpServer(port, 300)).replace(
        '                    command: |',
        `                    portBindings: {"${port}": "${port}"}\n                    command: |`,
      ) + run('use', `node -e "fetch('http://127.0.0.1:${port}/').then(r => process.exit(r.ok ? 0 : 1))"`),
    );
    expect((await runYaml(yaml)).report.status).toBe('success');
  });

  test('a service that never becomes ready fails the stage with its last log lines and log path', async () => {
    const port = await freePort();
    const yaml = pipeline(
      bg('db', `for i in 1 2 3; do echo "still booting $i"; done; sleep 30`).replace(
        '                    command: |',
        `                    readiness: {tcp: {port: ${port}}, timeout: 600ms, interval: 50ms}\n                    command: |`,
      ) + run('after', 'echo never'),
    );
    const r = await runYaml(yaml);
    expect(r.report.status).toBe('failed');
    const db = r.step('s.db');
    expect(db).toMatchObject({ status: 'failed', errorType: 'Readiness' });
    expect(db.error).toMatch(
      /readiness of s\.db not reached after 600 ms; last log lines:\n {2}still booting 1\n {2}still booting 2\n {2}still booting 3\n\(log: .*s\.db\.log\)/,
    );
    expect(r.step('s.after').status).toBe('skipped');
    expect(r.out).toMatch(/pipewright: readiness of s\.db not reached/);
  });

  test('a background step that crashes before it is ready, and one that exits after, fail the stage', async () => {
    const early = await runYaml(
      pipeline(
        bg('svc', 'echo boom; exit 3', '').replace(
          '                    command: |',
          '                    readiness: {tcp: {port: 1}, timeout: 10s}\n                    command: |',
        ) + run('after', 'echo never'),
      ),
    );
    expect(early.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Exited', exitCode: 3 });
    expect(early.step('s.after').status).toBe('skipped');

    // The service ends while `wait` runs (it waits for wait.started), and `wait` runs until stopped.
    const late = await runYaml(
      pipeline(
        bg('svc', `${untilFile('wait.started')}; exit 4`) +
          run('wait', 'touch wait.started; while :; do sleep 0.05; done') +
          run('after', 'echo should-not-run'),
      ),
    );
    expect(late.report.status).toBe('failed');
    expect(late.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Exited', exitCode: 4 });
    expect(late.step('s.svc').error).toMatch(/exited before the stage ended \(code 4\)/);
    expect(late.step('s.wait').status).toBe('aborted');
    expect(late.step('s.after').status).toBe('skipped');
  });

  test('an early exit with MarkAsFailure fails the stage but lets running steps finish, as for a Run step', async () => {
    const mark =
      '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: MarkAsFailure}}\n';
    const r = await runYaml(
      pipeline(
        bg('svc', `${untilFile('wait.started')}; exit 4`, mark) +
          run('wait', `touch wait.started; ${untilExitNoted('s.svc')}; echo finished`) +
          run('after', 'echo should-not-run'),
      ),
    );
    expect(r.report.status).toBe('failed');
    expect(r.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Exited', exitCode: 4 });
    expect(r.step('s.wait').status).toBe('success');
    expect(r.out).toMatch(/\[s\.wait\] finished/);
    expect(r.step('s.after').status).toBe('skipped');
  });

  test('an early exit is ignored when the failure strategy says so', async () => {
    const ignore = '                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: Ignore}}\n';
    const r = await runYaml(pipeline(bg('svc', 'exit 5', ignore) + run('wait', untilExitNoted('s.svc')) + run('after', 'echo ran')));
    expect(r.report.status).toBe('success');
    expect(r.step('s.svc')).toMatchObject({ failureIgnored: true, exitCode: 5 });
    expect(r.out).toMatch(/\[s\.after\] ran/);
  });

  test('teardown stops every service and its grandchildren after success and after failure', async () => {
    for (const last of ['echo done', 'exit 1']) {
      const r = await runYaml(
        pipeline(
          bg('svc', 'sleep 300 & echo $! > grandchild.pid; echo $$ > service.pid; trap "" TERM; wait') +
            run('check', 'while [ ! -s grandchild.pid ]; do sleep 0.05; done') +
            run('last', last),
        ),
        { graceMs: 300 },
      );
      expect(r.report.status).toBe(last === 'exit 1' ? 'failed' : 'success');
      const pids = [readPid(r.dir, 'service.pid'), readPid(r.dir, 'grandchild.pid')];
      expect(pids.every((p) => p > 0)).toBe(true);
      // The service ignores SIGTERM: it took SIGKILL after the grace period, grandchild too.
      for (const p of pids) expect(alive(p), `pid ${p} still alive`).toBe(false);
    }
  });

  test('ready services do not hold concurrency slots: 12 services with --concurrency 4', async () => {
    const services = Array.from({ length: 12 }, (_, i) =>
      bg(`svc${i}`, 'exec sleep 300')
        .replace(/^ {14}- step:/, '                  - step:')
        .replace(/\n {16}/g, '\n                    '),
    ).join('');
    const r = await runYaml(pipeline(`              - parallel:\n${services}` + run('after', 'echo after')), {
      concurrency: 4,
      graceMs: 500,
    });
    expect(r.report.status).toBe('success');
    expect(r.out).toMatch(/\[s\.after\] after/);
  });

  test('a background step without readiness counts as ready once started', async () => {
    const r = await runYaml(pipeline(bg('w', 'sleep 30') + run('next', 'echo next')));
    expect(r.report.status).toBe('success');
    expect(await until(() => r.step('s.w').status === 'success')).toBe(true);
  });
});
