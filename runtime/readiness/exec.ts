/** Exec readiness: a command (run by the step's backend, in its container for Docker) exits 0. */
import { spawn } from 'node:child_process';
import type { PlanReadiness } from '../../schemas/index.js';
import { pollingProbe } from './poll.js';
import type { ProbeTiming, ReadinessProbe } from './probe.js';

/** The exec probe of a step: its backend runs the command. */
export function execProbe(exec: NonNullable<PlanReadiness['exec']>, timing: ProbeTiming): ReadinessProbe {
  return pollingProbe({ kind: 'exec', command: exec.command }, timing);
}

/**
 * Runs `command` with `sh` on this machine, in `cwd` with `env`, killed (its whole group)
 * after `timeoutMs`; true when it exits 0.
 */
export function execReady(command: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // The command (it may hold a resolved secret) travels in the environment, not in argv.
    const child = spawn('sh', ['-c', 'eval "$PIPEWRIGHT_PROBE"'], {
      cwd,
      env: { ...env, PIPEWRIGHT_PROBE: command },
      detached: true,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.once('error', () => resolve(false));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
