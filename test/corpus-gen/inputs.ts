/**
 * Scalar field values of the corpus generator that are not expressions: Harness durations
 * and runtime inputs (`<+input>` with default, allowed values and execution-time modifiers).
 */
import type { Gen } from './gen.js';

/** Harness durations (doc: "Step and stage timeout"; corpus: currentStateSamples uses 10s, 1m0s, 1h0m0s, ""). */
export function duration(g: Gen): string {
  return g.pick(['10m', '30s', '1h', '1h30m', '1m0s', '1h0m0s', '2h', '45m', '1d', '20m', '5m', '90s', '1w']);
}

/** A runtime input with modifiers (fixture: inputs-typed.yaml; doc: "Runtime input settings"). */
export function input(g: Gen, defaultValue?: string, allowed?: string[], onExecutionInput?: () => void): string {
  g.feat('runtime-input');
  let s = '<+input>';
  // A default must be one of the allowed values (Harness refuses the input otherwise).
  if (defaultValue !== undefined && allowed && !allowed.includes(defaultValue)) defaultValue = g.pick(allowed);
  if (defaultValue !== undefined) s += `.default(${defaultValue})`;
  if (allowed) s += `.allowedValues(${allowed.join(',')})`;
  if (g.chance(0.08)) {
    onExecutionInput?.();
    s += '.executionInput()';
    g.feat('execution-input');
  }
  return s;
}
