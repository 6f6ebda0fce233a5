/**
 * No probe timer outlives its probe: the runner's process exits as soon as the run is over,
 * not when a readiness timeout (60 s by default) would have fired.
 */
import { describe, expect, test } from 'vitest';
import { tempDir } from '../helpers.js';
import { freePort, pipeline, startRun } from '../runtime/harness.js';

/** Runs the CLI; resolves with its exit code and the ms between the summary line and exit. */
async function timeAfterSummary(dir: string, yaml: string): Promise<{ code: number | null; afterSummaryMs: number; out: string }> {
  const run = startRun(dir, yaml, ['--grace', '300ms']);
  let summaryAt = 0;
  run.child.stdout.on('data', () => {
    if (!summaryAt && /^report: /m.test(run.out())) summaryAt = performance.now();
  });
  const killer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
  const code = await run.exit;
  clearTimeout(killer);
  return { code, afterSummaryMs: summaryAt ? performance.now() - summaryAt : Infinity, out: run.out() };
}

const background = (readiness: string) => `              - step:
                  type: Background
                  name: svc
                  identifier: svc
                  spec:
                    shell: Sh
                    command: |
                      echo "service is ready"
                      exec sleep 30
                    readiness:
${readiness}
              - step:
                  type: Run
                  name: use
                  identifier: use
                  spec:
                    shell: Sh
                    command: echo used
`;

describe('probe timers never keep the runner alive', () => {
  test('log readiness with the default 60 s timeout: the process exits right after the summary', async () => {
    const r = await timeAfterSummary(tempDir({}, 'pw-timer-'), pipeline(background('                      log: {pattern: "is ready"}\n')));
    expect(r.code, r.out).toBe(0);
    expect(r.afterSummaryMs, r.out).toBeLessThan(1000);
  }, 20_000);

  test('tcp readiness with a long timeout: the same', async () => {
    const port = await freePort();
    const yaml = pipeline(
      background(`                      tcp: {port: ${port}}\n                      timeout: 10m\n`).replace(
        'exec sleep 30',
        `exec python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(); time.sleep(30)"`,
      ),
    );
    const r = await timeAfterSummary(tempDir({}, 'pw-timer-'), yaml);
    expect(r.code, r.out).toBe(0);
    expect(r.afterSummaryMs, r.out).toBeLessThan(1000);
  }, 20_000);
});
