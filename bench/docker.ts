/**
 * `npm run bench -- docker` (needs a Docker Engine and the busybox test image, which it
 * imports like the tests do):
 *  - 20 trivial container steps against 20 bare `docker run --rm IMAGE true` in the same run
 *    (target ratio ≤ 1.2);
 *  - ten background services started, proven ready and torn down: total and per service.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/index.js';
import { Runner, dockerBinary, engineAvailable } from '../runtime/index.js';
import { ensureTestImage, TEST_IMAGE } from '../test/support/docker-env.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stage = (steps: string) =>
  `pipeline:\n  name: b\n  identifier: b\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;

function bare(bin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, ['run', '--rm', TEST_IMAGE, 'true'], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
  });
}

export async function benchDocker(): Promise<void> {
  const bin = dockerBinary();
  if (!(await engineAvailable(bin))) throw new Error('no Docker engine answers');
  ensureTestImage();
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-docker-'));
  const run = async (yaml: string) => {
    const r = await compile({ file: 'b.yaml', text: yaml });
    const runner = new Runner(r.plan!, { home: join(dir, '.pw'), workspace: dir, graceMs: 2000, docker: { bin } });
    const t0 = performance.now();
    const report = await runner.run();
    if (report.status !== 'success') throw new Error(JSON.stringify(report.steps.filter((s) => s.status !== 'success').slice(0, 2)));
    return { ms: performance.now() - t0, report };
  };
  const steps = stage(
    Array.from(
      { length: 20 },
      (_, i) =>
        `              - step: {type: Run, name: t${i}, identifier: t${i}, spec: {image: ${TEST_IMAGE}, shell: Sh, command: "true"}}\n`,
    ).join(''),
  );
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < 3; round++) {
    const b0 = performance.now();
    for (let i = 0; i < 20; i++) await bare(bin);
    base.push(performance.now() - b0);
    ours.push((await run(steps)).ms);
  }
  const services = stage(
    `              - parallel:\n${Array.from({ length: 10 }, (_, i) => `                  - step: {type: Background, name: svc${i}, identifier: svc${i}, spec: {image: ${TEST_IMAGE}, entrypoint: [httpd, -f, -p, "${18100 + i}"], readiness: {tcp: {port: ${18100 + i}}, timeout: 60s, interval: 50ms}}}\n`).join('')}` +
      `              - step: {type: Run, name: done, identifier: done, spec: {shell: Sh, command: "true"}}\n`,
  );
  const svc: number[] = [];
  const ready: number[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await run(services);
    svc.push(r.ms);
    ready.push(Math.max(...r.report.steps.filter((s) => s.readyMs !== undefined).map((s) => s.durationMs)));
  }
  const ratio = median(ours) / median(base);
  console.log('docker benchmark (medians of 3 rounds)');
  console.log(
    `20 container steps: ${median(ours).toFixed(0)} ms vs 20 bare docker run --rm: ${median(base).toFixed(0)} ms → ratio ${ratio.toFixed(2)} (rounds ${ours.map((x) => x.toFixed(0)).join('/')} vs ${base.map((x) => x.toFixed(0)).join('/')})`,
  );
  console.log(
    `10 background services started, ready and torn down: ${median(svc).toFixed(0)} ms total, ${(median(svc) / 10).toFixed(0)} ms per service (all ready after ${median(ready)} ms)`,
  );
  console.log(`${ratio <= 1.2 ? 'ok  ' : 'MISS'} container steps at most 1.2x bare docker run`);
}
