/**
 * The host backend: each step is a child process leading its own process group. Run steps
 * go through their shell (`sh -e -c`, `bash -e -c`, `python3 -c`, `pwsh -Command`); a trap
 * (or an atexit hook for Python) writes the output variables to a file when the shell exits.
 * Background steps and services run their `entrypoint` (exec form) or `command`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { PlanShell } from '../schemas/plan.js';
import { StartError, type Backend, type Handle, type StartSpec } from './backend.js';
import { stopGroup } from './process-group.js';
import { handleOf, spawnLogged } from './spawn-step.js';
import { httpReady } from './readiness/http.js';
import { tcpReady } from './readiness/tcp.js';

const which = new Map<string, boolean>();
function hasCommand(cmd: string): boolean {
  let ok = which.get(cmd);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
    which.set(cmd, ok);
  }
  return ok;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The argv that runs `command` in `shell`, writing `outputs` to $PIPEWRIGHT_OUTPUTS at exit. */
export function shellArgv(shell: PlanShell, command: string, outputs: string[] = []): string[] {
  const names = outputs.filter((n) => NAME.test(n));
  switch (shell) {
    case 'sh':
    case 'bash': {
      const trap = names.length
        ? `trap '__pw_rc=$?; printf "%s\\0" ${names.map((n) => `"\${${n}-}"`).join(' ')} > "$PIPEWRIGHT_OUTPUTS"; exit $__pw_rc' EXIT\n`
        : '';
      return [shell, '-e', '-c', trap + command];
    }
    case 'python': {
      const hook = names.length
        ? `import atexit as __pw_a, os as __pw_o\n__pw_a.register(lambda: open(__pw_o.environ['PIPEWRIGHT_OUTPUTS'], 'w').write(''.join(__pw_o.environ.get(n, '') + '\\0' for n in ${JSON.stringify(names)})))\n`
        : '';
      return ['python3', '-c', hook + command];
    }
    case 'pwsh':
    case 'powershell':
      return ['pwsh', '-NoProfile', '-NonInteractive', '-Command', command];
  }
}

export class HostBackend implements Backend {
  readonly name = 'host' as const;

  async start(spec: StartSpec): Promise<Handle> {
    const { step } = spec;
    let argv: string[];
    if (step.entrypoint?.length) argv = [...step.entrypoint, ...(step.args ?? [])];
    else if (step.command !== undefined) argv = shellArgv(step.shell ?? 'sh', step.command, step.kind === 'run' ? step.outputs : []);
    else throw new StartError(`step ${step.id} has neither command nor entrypoint to run on the host`);
    if (!hasCommand(argv[0]!)) {
      throw new StartError(argv[0] === 'pwsh' ? `step ${step.id} needs PowerShell (pwsh), which is not installed on this machine` : `step ${step.id}: command not found: ${argv[0]}`);
    }
    const env = { ...spec.env, ...(spec.outputsFile ? { PIPEWRIGHT_OUTPUTS: spec.outputsFile } : {}) };
    const spawned = await spawnLogged(argv[0]!, argv.slice(1), { cwd: spec.cwd, env }, spec.log, `step ${step.id}`);
    return handleOf(spawned, async (graceMs) => {
      await stopGroup(spawned.pid, graceMs);
    });
  }

  tcpReady(host: string, ports: number[], timeoutMs: number): Promise<boolean> {
    return tcpReady(host, ports, timeoutMs);
  }

  httpReady(url: string, status: number, timeoutMs: number): Promise<boolean> {
    return httpReady(url, status, timeoutMs);
  }

  probe(command: string, spec: StartSpec, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { cwd: spec.cwd, env: spec.env, detached: true, stdio: 'ignore' });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, timeoutMs);
      child.once('error', () => resolve(127));
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve(code ?? 1);
      });
    });
  }
}
