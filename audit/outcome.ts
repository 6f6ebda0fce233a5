/**
 * What the audit keeps of one pipeline's compile. The audit compiles with `allowSunset` so a
 * pipeline using a version past its sunset still yields a plan (its rules are checked and
 * the version shows in the inventory), but the result is what `compile` would say: such a
 * use is error `PW4010` and the pipeline does not compile. A lockfile that cannot be read is
 * the pipeline's error too, located at the lock, never silently ignored.
 */
import { Codes, displayPath, lockPathFor, type CompileResult, type Diagnostic } from '../compiler/index.js';

/** A compile as the audit reports it. */
export interface Outcome {
  ok: boolean;
  /** Errors first, then warnings (not those of runtime inputs the audit leaves open by design). */
  diagnostics: Diagnostic[];
}

/** The outcome of a compile made with `allowSunset`, judged as `compile` would judge it `today`. */
export function outcomeOf(r: CompileResult, today = new Date().toISOString().slice(0, 10)): Outcome {
  const past = new Map(
    r.deprecated.filter((d) => d.sunset !== undefined && d.sunset.slice(0, 10) < today).map((d) => [`${d.ref}@${d.version}`, d]),
  );
  const diagnostics = r.diagnostics.map((d) => {
    if (d.code !== Codes.TEMPLATE_DEPRECATED) return d;
    const id = d.message.slice(0, d.message.indexOf(' '));
    const dep = past.get(id);
    return dep
      ? {
          ...d,
          severity: 'error' as const,
          code: Codes.TEMPLATE_SUNSET,
          message: `${id} is past its sunset date ${dep.sunset}: ${dep.message}`,
        }
      : d;
  });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity === 'warning' && d.code !== Codes.RUNTIME_INPUT_MISSING);
  return { ok: errors.length === 0, diagnostics: [...errors, ...warnings] };
}

/** The outcome of a pipeline whose lockfile could not be read (`error` as the reader threw it). */
export function lockFailure(pipeline: string, error: unknown, baseDir?: string): Outcome {
  const lock = lockPathFor(pipeline);
  const message = error instanceof Error ? error.message : String(error);
  const text = message.startsWith(`${lock}: `) ? message.slice(lock.length + 2) : message;
  return {
    ok: false,
    diagnostics: [
      {
        code: Codes.TEMPLATE_SOURCE,
        severity: 'error',
        message: `${text}; the pipeline cannot be compiled from its lock`,
        file: displayPath(lock, baseDir),
        line: 1,
        column: 1,
      },
    ],
  };
}
