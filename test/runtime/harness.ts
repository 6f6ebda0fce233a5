/**
 * Runtime test helpers: compile a pipeline from YAML text and run it with real processes in
 * a temporary workspace, output captured.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import { Runner, type RunOptions, type RunReport } from '../../runtime/index.js';
import type { Plan } from '../../schemas/index.js';
import { onePipeline, REPO, tempDir } from '../helpers.js';

/** A one-stage CI pipeline around `steps` (YAML text indented for `steps:`). */
export const pipeline = onePipeline;

export async function planOf(yaml: string): Promise<Plan> {
  const r = await compile({ file: 'pipeline.yaml', text: yaml });
  if (!r.ok || !r.plan) throw new Error(`test pipeline does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.plan;
}

export interface Ran {
  report: RunReport;
  out: string;
  dir: string;
  runner: Runner;
  step(id: string): RunReport['steps'][number];
}

export async function runYaml(yaml: string, opts: RunOptions = {}): Promise<Ran> {
  const dir = tempDir({}, 'pw-run-');
  let out = '';
  const runner = new Runner(await planOf(yaml), {
    home: join(dir, '.pipewright'),
    workspace: dir,
    graceMs: 2000,
    console: { write: (s: string) => (out += s) },
    ...opts,
  });
  const report = await runner.run();
  return { report, out, dir, runner, step: (id) => report.steps.find((s) => s.id === id)! };
}

/** True when a process with this pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function readPid(dir: string, name: string): number {
  const p = join(dir, name);
  return existsSync(p) ? Number(readFileSync(p, 'utf8').trim()) : NaN;
}

/** Polls until `fn` is true or `ms` passes. */
export async function until(fn: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return fn();
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The built CLI (`npm test` builds it first). */
export const BIN = join(REPO, 'dist', 'cli', 'bin.js');

/**
 * Writes `yaml` to `dir/pipeline.yaml` and starts `pipewright run` on it as a process
 * (workspace `dir`, home `dir/.pw`, `--grace 300ms --quiet` unless `args` say otherwise).
 */
export function startRun(dir: string, yaml: string, args = ['--grace', '300ms', '--quiet'], env: NodeJS.ProcessEnv = process.env) {
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  const child = spawn(process.execPath, [BIN, 'run', 'pipeline.yaml', '--workspace', '.', '--home', '.pw', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, out: () => out };
}
