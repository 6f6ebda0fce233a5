/** Exec readiness: a command (run by the step's backend, in its container for Docker) exits 0. */
import type { Backend, StartSpec } from '../backend.js';

export async function execReady(backend: Backend, command: string, spec: StartSpec, timeoutMs: number): Promise<boolean> {
  return (await backend.probe(command, spec, timeoutMs)) === 0;
}
