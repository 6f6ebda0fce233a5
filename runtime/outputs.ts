/**
 * A step's output variables on disk: the file a Run step's shell exit trap writes (NUL-separated
 * values in the order of `outputs`) or a Plugin step's `$DRONE_OUTPUT` lines, created empty and
 * 0600 before the step starts, read once after a successful attempt and removed whatever the
 * outcome (values may be secrets).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlanStep } from '../schemas/index.js';

/** Creates a step's outputs file empty, 0600: the shell's redirection keeps that mode. */
export function createOutputsFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, '', { mode: 0o600 });
  return path;
}

/**
 * Whether a step writes its own outputs, as Drone plugins do: `KEY=value` lines appended to the
 * file named by `$DRONE_OUTPUT` (Harness reads a Plugin step's output variables so; the step
 * declares none).
 */
export function writesDroneOutput(step: PlanStep): boolean {
  return step.type === 'Plugin';
}

/** Whether a step gets an outputs file. */
export function hasOutputs(step: PlanStep): boolean {
  return !!declaredOutputs(step).length || writesDroneOutput(step);
}

/** The output variables a step declares (only Run steps declare any). */
export function declaredOutputs(step: PlanStep): string[] {
  return step.kind === 'run' ? (step.outputs ?? []) : [];
}

/** Reads a successful attempt's output variables (empty values when the file is missing). */
export function readOutputs(step: PlanStep, file: string | undefined): Record<string, string> | undefined {
  if (file && writesDroneOutput(step)) return droneOutputs(file);
  const outputs = declaredOutputs(step);
  if (!file || !outputs.length) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return Object.fromEntries(outputs.map((n) => [n, '']));
  }
  const values = text.split('\0');
  const out: Record<string, string> = {};
  outputs.forEach((n, i) => (out[n] = values[i] ?? ''));
  return out;
}

/** `KEY=value` lines (a value may be quoted; `export ` before the key is allowed); later lines win. */
function droneOutputs(file: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(raw);
    if (!m) continue;
    let v = m[2]!;
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1);
    Object.defineProperty(out, m[1]!, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return Object.keys(out).length ? out : undefined;
}
