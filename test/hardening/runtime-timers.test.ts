/**
 * No probe timer outlives its probe: the runner's process exits as soon as the run is over,
 * not when a readiness timeout (60 s by default) would have fired.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';
import { freePort, pipeline } from '../runtime/harness.js';

const BIN = join(REPO, 'dist', 'cli', 'bin.js');

/** Runs the CLI; resolves with its exit code and the ms between the summary line and exit. */
function timeAfterSummary(dir: string, yaml: string): Promise<{ code: number | null; afterSummaryMs: number; out: string }> {
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  const child = spawn(process.execPath, [BIN, 'run', 'pipeline.yaml', '--workspace', '.', '--home', '.pw', '--grace', '300ms'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let summaryAt = 0;
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    if (!summaryAt && /^report: /m.test(out)) summaryAt = performance.now();
  });
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, afterSummaryMs: summaryAt ? performance.now() - summaryAt : Infinity, out });
    }),
  );
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
    const yaml = pipeline(background(`                      tcp: {port: ${port}}\n                      timeout: 10m\n`).replace('exec sleep 30', `exec python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(); time.sleep(30)"`));
    const r = await timeAfterSummary(tempDir({}, 'pw-timer-'), yaml);
    expect(r.code, r.out).toBe(0);
    expect(r.afterSummaryMs, r.out).toBeLessThan(1000);
  }, 20_000);
});
