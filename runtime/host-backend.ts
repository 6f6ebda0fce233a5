/**
 * The host backend: each step is a child process leading its own process group. Run steps
 * go through their shell, reading the script from a 0600 file (`sh -e FILE`, `bash -e FILE`,
 * `python3 -c` reading FILE, `pwsh -File`); a trap (or an atexit hook for Python) writes the
 * output variables to a file when the shell exits.
 * Background steps and services run their `entrypoint` (exec form) or `command`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StartError, type Backend, type Handle, type ProbeTarget, type StartSpec } from './backend.js';
import { stopGroup } from './process-group.js';
import { writesDroneOutput } from './outputs.js';
import { stepScript, writeScript } from './script-file.js';
import { handleOf, spawnLogged } from './spawn-step.js';
import { execReady } from './readiness/exec.js';
import { httpReady } from './readiness/http.js';
import { tcpReady } from './readiness/tcp.js';

/**
 * Whether `cmd` names an executable: a path is checked as it is, a bare name is looked up in
 * the step's PATH. Never through a shell (a step's entrypoint must not be able to inject).
 */
const found = new Map<string, boolean>();

export function hasCommand(cmd: string, path: string | undefined, cwd: string): boolean {
  // Bare names are looked up once per PATH (every step of a run asks for `sh`).
  if (!cmd.includes('/')) {
    const key = `${path ?? ''}\0${cwd}\0${cmd}`;
    let ok = found.get(key);
    if (ok === undefined) found.set(key, (ok = lookUp(cmd, path, cwd)));
    return ok;
  }
  return lookUp(cmd, path, cwd);
}

function lookUp(cmd: string, path: string | undefined, cwd: string): boolean {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return executable(resolve(cwd, cmd));
  if (cmd === '') return false;
  return (path ?? '').split(':').some((dir) => dir !== '' && executable(resolve(cwd, dir, cmd)));
}

export class HostBackend implements Backend {
  readonly name = 'host' as const;

  async start(spec: StartSpec): Promise<Handle> {
    const { step } = spec;
    let argv: string[];
    let script: { path: string; text: string } | undefined;
    if (step.entrypoint?.length) argv = [...step.entrypoint, ...(step.args ?? [])];
    else if (step.command !== undefined) {
      const s = stepScript(step, step.command);
      script = { path: spec.scriptFile + s.ext, text: s.text };
      argv = s.argv(script.path);
    } else throw new StartError(`step ${step.id} has neither command nor entrypoint to run on the host`);
    if (!hasCommand(argv[0]!, spec.env['PATH'], spec.cwd)) {
      throw new StartError(
        argv[0] === 'pwsh'
          ? `step ${step.id} needs PowerShell (pwsh), which is not installed on this machine`
          : `step ${step.id}: command not found: ${argv[0]}`,
      );
    }
    const env = {
      ...spec.env,
      ...(spec.outputsFile
        ? { PIPEWRIGHT_OUTPUTS: spec.outputsFile, ...(writesDroneOutput(spec.step) ? { DRONE_OUTPUT: spec.outputsFile } : {}) }
        : {}),
    };
    const remove = script ? writeScript(script.path, script.text) : undefined;
    let spawned;
    try {
      spawned = await spawnLogged(argv[0]!, argv.slice(1), { cwd: spec.cwd, env }, spec.log, `step ${step.id}`);
    } catch (e) {
      remove?.();
      throw e;
    }
    if (remove) void spawned.exited.then(remove);
    return handleOf(spawned, async (graceMs) => {
      await stopGroup(spawned.pid, graceMs);
    });
  }

  reach(target: ProbeTarget, spec: StartSpec, timeoutMs: number): Promise<boolean> {
    switch (target.kind) {
      case 'tcp':
        return tcpReady(target.host, target.ports, timeoutMs);
      case 'http':
        return httpReady(target.url, target.status, timeoutMs);
      case 'exec':
        return execReady(target.command, spec.cwd, spec.env, timeoutMs);
    }
  }
}
