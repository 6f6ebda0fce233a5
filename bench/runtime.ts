/**
 * `npm run bench -- runtime`:
 *  - 200 trivial Run steps in a chain against 200 sequential `sh -c true` spawns from Node in
 *    the same run: overhead per step (target ≤ 3 ms);
 *  - a background server that opens its port after 1 s: delay from port open to the next
 *    step's start (median of 7; target ≤ 50 ms), with a TCP probe every 20 ms;
 *  - teardown of 20 services that exit on SIGTERM (target < 1 s).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/index.js';
import { Runner } from '../runtime/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function planOf(yaml: string) {
  const r = await compile({ file: 'bench.yaml', text: yaml });
  if (!r.plan) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

const stage = (steps: string) =>
  `pipeline:\n  name: b\n  identifier: b\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;

async function run(yaml: string, dir: string, opts: { graceMs?: number } = {}) {
  const runner = new Runner(await planOf(yaml), { home: join(dir, '.pw'), workspace: dir, graceMs: opts.graceMs ?? 5000 });
  const t0 = performance.now();
  const report = await runner.run();
  if (report.status !== 'success')
    throw new Error(`bench run failed: ${JSON.stringify(report.steps.filter((s) => s.status !== 'success').slice(0, 2))}`);
  return { report, ms: performance.now() - t0, end: Date.now() };
}

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', () => resolve());
  });
}

export async function benchRuntime(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-rt-'));
  const n = 200;
  const chain = stage(
    Array.from(
      { length: n },
      (_, i) => `              - step: {type: Run, name: t${i}, identifier: t${i}, spec: {shell: Sh, command: "true"}}\n`,
    ).join(''),
  );
  const overheads: number[] = [];
  const baselines: number[] = [];
  const runs: number[] = [];
  for (let round = 0; round < 3; round++) {
    const b0 = performance.now();
    for (let i = 0; i < n; i++) await spawnTrue();
    const base = performance.now() - b0;
    const r = await run(chain, dir);
    baselines.push(base);
    runs.push(r.ms);
    overheads.push((r.ms - base) / n);
  }

  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const yaml = stage(
      `              - step:\n                  type: Background\n                  name: srv\n                  identifier: srv\n                  spec:\n                    shell: Sh\n                    command: node -e "setTimeout(() => require('net').createServer(s => s.end()).listen(${port}, '127.0.0.1', () => require('fs').writeFileSync('open-${i}', String(Date.now()))), 1000)"\n                    readiness: {tcp: {port: ${port}}, timeout: 10s, interval: 20ms}\n` +
        `              - step: {type: Run, name: next, identifier: next, spec: {shell: Sh, command: "date +%s%3N > next-${i}"}}\n`,
    );
    await run(yaml, dir, { graceMs: 1000 });
    // The next step's start is its first command (`date`, about a millisecond after spawn).
    delays.push(Number(readFileSync(join(dir, `next-${i}`), 'utf8')) - Number(readFileSync(join(dir, `open-${i}`), 'utf8')));
  }
  const services = stage(
    `              - parallel:\n${Array.from({ length: 20 }, (_, i) => `                  - step: {type: Background, name: svc${i}, identifier: svc${i}, spec: {shell: Sh, command: exec sleep 300}}\n`).join('')}` +
      `              - step: {type: Run, name: done, identifier: done, spec: {shell: Sh, command: "node -e \\"require('fs').writeFileSync('done', String(Date.now()))\\""}}\n`,
  );
  const teardowns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await run(services, dir);
    teardowns.push(r.end - Number(readFileSync(join(dir, 'done'), 'utf8')));
  }

  const perStep = median(overheads);
  const delay = median(delays);
  const teardown = median(teardowns);
  console.log('runtime benchmark (host backend; medians of rounds)');
  console.log(
    `200 Run steps: ${median(runs).toFixed(0)} ms vs 200 sequential sh -c true spawns ${median(baselines).toFixed(0)} ms → overhead ${perStep.toFixed(2)} ms per step (rounds: ${overheads.map((o) => o.toFixed(2)).join(', ')})`,
  );
  console.log(`port open → next step start: median ${delay} ms (all: ${delays.join(', ')}; TCP probe every 20 ms)`);
  console.log(`teardown of 20 services: median ${teardown} ms (rounds: ${teardowns.join(', ')})`);
  console.log(`${perStep <= 3 ? 'ok  ' : 'MISS'} overhead per step at most 3 ms`);
  console.log(`${delay <= 50 ? 'ok  ' : 'MISS'} port open → next step start at most 50 ms`);
  console.log(`${teardown < 1000 ? 'ok  ' : 'MISS'} teardown of 20 services under 1 s`);
}
