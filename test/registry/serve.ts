/**
 * The CLI as a real process for tests (`dist/`, which `npm test` builds first): a registry
 * server, or one command run to its end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../helpers.js';

const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const children: ChildProcess[] = [];

/** Kills every process a test started here and left running. */
export function killChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Starts `pipewright registry serve --port 0 [...extra]` and resolves with its URL. */
export function serveProcess(db: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'registry', 'serve', '--db', db, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`registry exited ${code} before listening: ${out}`)));
  });
}

/** Runs `pipewright ...args` in a process; resolves with its exit code and output. */
export function cliProcess(args: string[], cwd = REPO): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
