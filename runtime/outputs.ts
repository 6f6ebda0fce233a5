/**
 * A Run step's output variables on disk: the file its shell's exit trap writes (NUL-separated
 * values in the order of `outputs`), created empty and 0600 before the step starts, read once
 * after a successful attempt and removed whatever the outcome (values may be secrets).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlanStep } from '../schemas/plan.js';

/** Creates a step's outputs file empty, 0600: the shell's redirection keeps that mode. */
export function createOutputsFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, '', { mode: 0o600 });
  return path;
}

/** Reads a successful attempt's output variables (empty values when the file is missing). */
export function readOutputs(step: PlanStep, file: string | undefined): Record<string, string> | undefined {
  if (!file || !step.outputs?.length) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return Object.fromEntries(step.outputs.map((n) => [n, '']));
  }
  const values = text.split('\0');
  const out: Record<string, string> = {};
  step.outputs.forEach((n, i) => (out[n] = values[i] ?? ''));
  return out;
}
