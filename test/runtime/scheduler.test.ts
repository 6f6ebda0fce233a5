/**
 * The scheduler on an in-memory backend and fake timers: the real Runner, stage scheduler,
 * readiness probes and failure strategies, with step "processes" that follow a script on the
 * fake clock. Times asserted here are exact fake milliseconds, not wall-clock bounds.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Plan } from '../../schemas/index.js';
import { FakeBackend, runFake, type Scripts } from './fake-backend.js';
import { pipeline, planOf } from './harness.js';

/** A step list item; `extra` lines go under the step, `spec` lines under its spec. */
const step = (type: string, id: string, opts: { extra?: string; spec?: string } = {}) => `              - step:
                  type: ${type}
                  name: ${id}
                  identifier: ${id}
${opts.extra ?? ''}                  spec:
                    shell: Sh
                    command: run ${id}
${opts.spec ?? ''}`;
const run = (id: string, opts?: { extra?: string; spec?: string }) => step('Run', id, opts);
const bg = (id: string, opts?: { extra?: string; spec?: string }) => step('Background', id, opts);
/** Steps side by side. */
const parallel = (...steps: string[]) =>
  `              - parallel:\n${steps.map((s) => s.replace(/^ {14}- step:/, '                  - step:').replace(/\n {16}/g, '\n                    ')).join('')}`;
const strategy = (action: string) =>
  `                  failureStrategies:\n                    - onFailure:\n                        errors: [AllErrors]\n                        action: ${action}\n`;

/** Plans are compiled on real timers; the run then goes on fake ones. */
async function fakeRun(yaml: string, scripts: Scripts, opts: Parameters<typeof runFake>[2] = {}) {
  const plan: Plan = await planOf(yaml);
  vi.useFakeTimers();
  const backend = new FakeBackend(scripts);
  const r = await runFake(plan, backend, opts);
  const result = (id: string) => r.report.steps.find((s) => s.id === id)!;
  return { ...r, backend, step: result, start: (id: string) => backend.times('start', id)[0]! };
}

beforeEach(() => vi.useRealTimers());
afterEach(() => vi.useRealTimers());

describe('ordering', () => {
  test('a step starts once everything it needs has finished, parallel steps together', async () => {
    const r = await fakeRun(pipeline(run('a') + parallel(run('b'), run('c')) + run('d')), {
      's.a': { exit: { afterMs: 50 } },
      's.b': { exit: { afterMs: 100 } },
      's.c': { exit: { afterMs: 300 } },
      's.d': { exit: { afterMs: 10 } },
    });
    expect(r.report.status).toBe('success');
    expect(r.start('s.a')).toBe(0);
    expect(r.start('s.b')).toBe(50);
    expect(r.start('s.c')).toBe(50);
    // d needs both: it starts when the slower one ends, not when the first does.
    expect(r.start('s.d')).toBe(350);
    expect(r.backend.trace.filter((t) => t.startsWith('start') || t.startsWith('exit'))).toEqual([
      'start s.a',
      'exit s.a 0',
      'start s.b',
      'start s.c',
      'exit s.b 0',
      'exit s.c 0',
      'start s.d',
      'exit s.d 0',
    ]);
    expect(r.step('s.c').durationMs).toBe(300);
  });

  test('the concurrency limit: five parallel steps, two at a time, each slot reused as soon as it frees', async () => {
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const r = await fakeRun(
      pipeline(parallel(...ids.map((id) => run(id)))),
      Object.fromEntries(ids.map((id) => [`s.${id}`, { exit: { afterMs: 100 } }])),
      {
        concurrency: 2,
      },
    );
    expect(r.report.status).toBe('success');
    expect(ids.map((id) => r.start(`s.${id}`))).toEqual([0, 0, 100, 100, 200]);
  });
});

describe('readiness', () => {
  test.each([
    ['tcp', 'readiness: {tcp: {port: 5432}, timeout: 10s, interval: 50ms}', { kind: 'tcp', host: '127.0.0.1', ports: [5432] }],
    [
      'http',
      'readiness: {http: {url: "http://127.0.0.1:8080/health", status: 204}, timeout: 10s, interval: 50ms}',
      { kind: 'http', url: 'http://127.0.0.1:8080/health', status: 204 },
    ],
    ['exec', 'readiness: {exec: {command: "pg_isready"}, timeout: 10s, interval: 50ms}', { kind: 'exec', command: 'pg_isready' }],
  ])('%s: the backend reaches the target every interval; the next step starts at the first answer', async (_kind, readiness, target) => {
    const r = await fakeRun(pipeline(bg('svc', { spec: `                    ${readiness}\n` }) + run('use')), {
      's.svc': { readyAfterMs: 320 },
    });
    expect(r.report.status).toBe('success');
    expect(r.backend.targets.get('s.svc')![0]).toEqual(target);
    // Probes at 0, 50, ..., 300 do not answer; the one at 350 does.
    expect(r.backend.times('probe', 's.svc')).toEqual([0, 50, 100, 150, 200, 250, 300, 350]);
    expect(r.step('s.svc').readyMs).toBe(350);
    expect(r.start('s.use')).toBe(350);
  });

  test('log: ready at the first matching line, as it arrives; the backend is never asked', async () => {
    const r = await fakeRun(
      pipeline(bg('svc', { spec: '                    readiness: {log: {pattern: "ready to a+ccept"}, timeout: 10s}\n' }) + run('use')),
      {
        's.svc': {
          lines: [
            [100, 'booting'],
            [430, 'ready to accept connections'],
          ],
        },
      },
    );
    expect(r.report.status).toBe('success');
    expect(r.step('s.svc').readyMs).toBe(430);
    expect(r.start('s.use')).toBe(430);
    expect(r.backend.times('probe', 's.svc')).toEqual([]);
  });

  test('never ready: fails at its timeout with its last log lines; the next step is skipped; the service is stopped', async () => {
    const r = await fakeRun(
      pipeline(bg('db', { spec: '                    readiness: {tcp: {port: 5999}, timeout: 600ms, interval: 50ms}\n' }) + run('after')),
      {
        's.db': {
          lines: [
            [10, 'still booting 1'],
            [20, 'still booting 2'],
          ],
        },
      },
    );
    expect(r.report.status).toBe('failed');
    expect(r.step('s.db')).toMatchObject({ status: 'failed', errorType: 'Readiness', durationMs: 600 });
    expect(r.step('s.db').error).toMatch(
      /^readiness of s\.db not reached after 600 ms; last log lines:\n {2}still booting 1\n {2}still booting 2\n\(log: /,
    );
    expect(r.step('s.after').status).toBe('skipped');
    expect(r.backend.times('start', 's.after')).toEqual([]);
    expect(r.backend.times('stop', 's.db')).toEqual([600]);
  });

  test('a service that exits before it is ready ends the wait at once, not at the timeout', async () => {
    const r = await fakeRun(
      pipeline(bg('svc', { spec: '                    readiness: {tcp: {port: 1}, timeout: 10s}\n' }) + run('after')),
      {
        's.svc': { exit: { afterMs: 120, code: 3 } },
      },
    );
    expect(r.step('s.svc')).toMatchObject({ status: 'failed', errorType: 'Exited', exitCode: 3, durationMs: 120 });
    expect(r.step('s.after').status).toBe('skipped');
  });

  test("a Background step's own timeout bounds its readiness timeout", async () => {
    const r = await fakeRun(
      pipeline(
        bg('svc', {
          extra: '                  timeout: 300ms\n',
          spec: '                    readiness: {tcp: {port: 1}, timeout: 10s, interval: 100ms}\n',
        }),
      ),
      { 's.svc': {} },
    );
    expect(r.step('s.svc')).toMatchObject({ errorType: 'Readiness', durationMs: 300 });
    expect(r.step('s.svc').error).toMatch(/not reached after 300 ms/);
  });
});

describe('failure strategies', () => {
  test.each([
    ['Abort', '{type: Abort}', 'failed', 'failed', 'skipped', 'aborted'],
    ['Ignore', '{type: Ignore}', 'success', 'failed', 'success', 'success'],
    ['MarkAsSuccess', '{type: MarkAsSuccess}', 'success', 'success', 'success', 'success'],
    ['MarkAsFailure', '{type: MarkAsFailure}', 'failed', 'failed', 'skipped', 'success'],
  ])('%s', async (_name, action, pipelineStatus, badStatus, nextStatus, siblingStatus) => {
    const r = await fakeRun(pipeline(parallel(run('bad', { extra: strategy(action) }), run('sibling')) + run('next')), {
      's.bad': { exit: { afterMs: 100, code: 7 } },
      's.sibling': { exit: { afterMs: 500 } },
    });
    expect(r.report.status).toBe(pipelineStatus);
    expect(r.step('s.bad')).toMatchObject({ status: badStatus, exitCode: 7 });
    expect(r.step('s.next').status).toBe(nextStatus);
    // Abort stops the running sibling at once; MarkAsFailure lets it finish.
    expect(r.step('s.sibling').status).toBe(siblingStatus);
    expect(r.backend.times('exit', 's.sibling')).toEqual([siblingStatus === 'aborted' ? 100 : 500]);
  });

  test('Retry: each attempt after its interval; the last interval repeats; success ends the retries', async () => {
    const r = await fakeRun(
      pipeline(run('flaky', { extra: strategy('{type: Retry, spec: {retryCount: 3, retryIntervals: [50ms, 100ms]}}') })),
      { 's.flaky': (attempt) => ({ exit: { afterMs: 10, code: attempt < 4 ? 1 : 0 } }) },
    );
    expect(r.step('s.flaky')).toMatchObject({ status: 'success', attempts: 4 });
    expect(r.backend.times('start', 's.flaky')).toEqual([0, 60, 170, 280]);
    expect(r.step('s.flaky').durationMs).toBe(290);
  });

  test('Retry exhausted: onRetryFailure decides', async () => {
    const r = await fakeRun(
      pipeline(
        run('never', {
          extra: strategy('{type: Retry, spec: {retryCount: 2, retryIntervals: [10ms], onRetryFailure: {action: {type: Ignore}}}}'),
        }) + run('next'),
      ),
      { 's.never': { exit: { afterMs: 0, code: 1 } } },
    );
    expect(r.step('s.never')).toMatchObject({ status: 'failed', failureIgnored: true, attempts: 3 });
    expect(r.report.status).toBe('success');
  });

  test("a failure elsewhere in the stage ends a retry's wait at once", async () => {
    const r = await fakeRun(
      pipeline(parallel(run('flaky', { extra: strategy('{type: Retry, spec: {retryCount: 3, retryIntervals: [10s]}}') }), run('bad'))),
      { 's.flaky': { exit: { afterMs: 0, code: 1 } }, 's.bad': { exit: { afterMs: 100, code: 2 } } },
    );
    expect(r.step('s.flaky')).toMatchObject({ status: 'aborted', attempts: 1, durationMs: 100 });
    expect(r.step('s.flaky').error).toBe('stopped before retry 2: the stage was aborted');
    expect(r.backend.times('start', 's.flaky')).toEqual([0]);
  });

  test('a start failure is error type Start; the failure strategy applies', async () => {
    const r = await fakeRun(pipeline(run('broken', { extra: strategy('{type: Ignore}') }) + run('next')), {
      's.broken': { startError: 'step s.broken: command not found: nope' },
    });
    expect(r.step('s.broken')).toMatchObject({
      status: 'failed',
      errorType: 'Start',
      failureIgnored: true,
      error: 'step s.broken: command not found: nope',
    });
    expect(r.step('s.next').status).toBe('success');
  });
});

describe('services that end early', () => {
  const mark = (action: string) =>
    `                  failureStrategies:\n                    - onFailure: {errors: [AllErrors], action: {type: ${action}}}\n`;
  test.each([
    ['no strategy (Abort)', '', 'failed', 'aborted'],
    ['MarkAsFailure', mark('MarkAsFailure'), 'failed', 'success'],
    ['Ignore', mark('Ignore'), 'success', 'success'],
  ])('%s', async (_name, extra, pipelineStatus, waitStatus) => {
    const r = await fakeRun(pipeline(bg('svc', { extra }) + run('wait') + run('after')), {
      's.svc': { exit: { afterMs: 200, code: 4 } },
      's.wait': { exit: { afterMs: 1000 } },
    });
    expect(r.report.status).toBe(pipelineStatus);
    expect(r.step('s.svc')).toMatchObject({ errorType: 'Exited', exitCode: 4 });
    expect(r.step('s.svc').error).toMatch(/exited before the stage ended \(code 4\)/);
    expect(r.step('s.wait').status).toBe(waitStatus);
    expect(r.step('s.after').status).toBe(pipelineStatus === 'success' ? 'success' : 'skipped');
  });
});

describe('timeouts', () => {
  test('a step that outlives its timeout is stopped then, and fails with error type Timeout', async () => {
    const r = await fakeRun(pipeline(run('slow', { extra: '                  timeout: 500ms\n' })), { 's.slow': {} });
    expect(r.step('s.slow')).toMatchObject({ status: 'failed', errorType: 'Timeout', error: 'timed out after 500 ms', durationMs: 500 });
    expect(r.backend.times('stop', 's.slow')[0]).toBe(500);
  });

  test('one that ignores SIGTERM is killed after the grace period', async () => {
    const r = await fakeRun(
      pipeline(run('stubborn', { extra: '                  timeout: 500ms\n' })),
      { 's.stubborn': { ignoresTerm: true } },
      { graceMs: 300 },
    );
    expect(r.step('s.stubborn')).toMatchObject({ errorType: 'Timeout', durationMs: 800 });
    expect(r.backend.trace.filter((t) => t.startsWith('exit'))).toEqual(['exit s.stubborn SIGKILL']);
  });

  test('a Timeout rule catches a timeout, not an exit code', async () => {
    const rule = '                  failureStrategies:\n                    - onFailure: {errors: [Timeout], action: {type: Ignore}}\n';
    const r = await fakeRun(pipeline(run('slow', { extra: rule + '                  timeout: 200ms\n' }) + run('bad', { extra: rule })), {
      's.slow': {},
      's.bad': { exit: { afterMs: 0, code: 2 } },
    });
    expect(r.step('s.slow')).toMatchObject({ errorType: 'Timeout', failureIgnored: true });
    expect(r.step('s.bad')).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(r.step('s.bad').failureIgnored).toBeUndefined();
    expect(r.report.status).toBe('failed');
  });

  test('a "still running" line after each silence', async () => {
    const r = await fakeRun(pipeline(run('q')), { 's.q': { exit: { afterMs: 2500 } } }, { silenceMs: 1000 });
    expect(r.out.match(/\[s\.q\] pipewright: still running after \d+ s/g)).toEqual([
      '[s.q] pipewright: still running after 1 s',
      '[s.q] pipewright: still running after 2 s',
    ]);
  });
});

describe('teardown', () => {
  test.each([
    ['success', 0],
    ['failure', 1],
  ])(
    'after %s: services are stopped only once the last step ended, together; a stubborn one gets SIGKILL after the grace period',
    async (_name, code) => {
      const r = await fakeRun(
        pipeline(parallel(bg('svc1'), bg('svc2')) + run('work')),
        { 's.svc1': {}, 's.svc2': { ignoresTerm: true }, 's.work': { exit: { afterMs: 400, code } } },
        { graceMs: 250 },
      );
      expect(r.report.status).toBe(code === 0 ? 'success' : 'failed');
      expect(r.backend.times('stop', 's.svc1')).toEqual([400]);
      expect(r.backend.times('stop', 's.svc2')).toEqual([400]);
      expect(r.backend.times('exit', 's.svc1')).toEqual([400]);
      expect(r.backend.times('exit', 's.svc2')).toEqual([650]);
      // Each service: stopped, gone, then its pipes released (the escapees looked for).
      for (const svc of ['s.svc1', 's.svc2'])
        expect(r.backend.trace.filter((t) => t.split(' ')[1] === svc && !t.startsWith('start'))).toEqual([
          `stop ${svc}`,
          `exit ${svc} ${svc === 's.svc1' ? 'SIGTERM' : 'SIGKILL'}`,
          `release ${svc}`,
        ]);
      const firstStop = r.backend.trace.findIndex((t) => t.startsWith('stop s.svc'));
      expect(firstStop).toBeGreaterThan(r.backend.trace.indexOf(`exit s.work ${code}`));
    },
  );
});

describe('stage and step status', () => {
  test.each([
    [
      'fails',
      1,
      {
        'a.early': 'skipped',
        'a.fail': 'failed',
        'a.cleanup': 'success',
        'a.always': 'success',
        'a.normal': 'skipped',
        'b.x': 'success',
        'c.y': 'skipped',
      },
      ['failed', 'success', 'skipped'],
    ],
    [
      'succeeds',
      0,
      {
        'a.early': 'skipped',
        'a.fail': 'success',
        'a.cleanup': 'skipped',
        'a.always': 'success',
        'a.normal': 'success',
        'b.x': 'skipped',
        'c.y': 'success',
      },
      ['success', 'skipped', 'success'],
    ],
  ])('one shouldRun for steps (stageStatus) and stages (pipelineStatus): when a step %s', async (_name, code, steps, stages) => {
    const stage = (id: string, when: string, steps: string) =>
      `    - stage:\n        name: ${id}\n        identifier: ${id}\n        type: CI\n${when}        spec:\n          execution:\n            steps:\n${steps}`;
    const yaml =
      'pipeline:\n  name: t\n  identifier: t\n  stages:\n' +
      stage(
        'a',
        '',
        run('early', { extra: '                  when: {stageStatus: Failure}\n' }) +
          run('fail') +
          run('cleanup', { extra: '                  when: {stageStatus: Failure}\n' }) +
          run('always', { extra: '                  when: {stageStatus: All}\n' }) +
          run('normal'),
      ) +
      stage('b', '        when: {pipelineStatus: Failure}\n', run('x')) +
      stage('c', '', run('y'));
    const r = await fakeRun(yaml, { 'a.fail': { exit: { afterMs: 0, code } } });
    expect(Object.fromEntries(r.report.steps.map((s) => [s.id, s.status]))).toEqual(steps);
    expect(r.report.stages.map((s) => s.status)).toEqual(stages);
  });
});
