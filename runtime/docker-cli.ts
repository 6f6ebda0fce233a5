/**
 * The docker CLI, always called with argument arrays (never a shell string).
 * `PIPEWRIGHT_DOCKER` may name another compatible binary (podman).
 */
import { spawn } from 'node:child_process';

export function dockerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env['PIPEWRIGHT_DOCKER'] || 'docker';
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker ...args` to completion; `env` adds variables to the CLI's environment. */
export function docker(bin: string, args: string[], timeoutMs = 120_000, env?: Record<string, string>): Promise<DockerResult> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: e.message });
    });
    c.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** True when a Docker engine answers. */
export async function engineAvailable(bin: string): Promise<boolean> {
  return (await docker(bin, ['info', '--format', '{{.ServerVersion}}'], 15_000)).code === 0;
}
