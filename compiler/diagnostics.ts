/**
 * Diagnostics: located, coded messages collected during a compile.
 *
 * Codes are stable and grouped by range (tests assert on codes and positions, never on
 * wording):
 *   1xxx YAML and files, 2xxx schema, 3xxx inputs and expressions,
 *   4xxx template resolution, 5xxx plan semantics, 6xxx policy.
 */
import { printable } from './printable.js';
import { withEnd, type Location } from './location.js';

export type Severity = 'error' | 'warning' | 'info';

/** A position in a source file; line and column are 1-based. */
export type { Location } from './location.js';

export interface Diagnostic extends Location {
  code: Code;
  severity: Severity;
  message: string;
}

/** The catalogue of codes. One place, so a code is never reused for another meaning. */
export const Codes = {
  MORE_DIAGNOSTICS: 'PW1000',
  YAML_SYNTAX: 'PW1001',
  FILE_TOO_LARGE: 'PW1002',
  ALIAS_LIMIT: 'PW1003',
  NOT_A_DOCUMENT: 'PW1004',
  DUPLICATE_KEY: 'PW1005',
  FILE_UNREADABLE: 'PW1006',
  NESTING_TOO_DEEP: 'PW1007',
  DOCUMENT_TOO_LARGE: 'PW1008',

  SCHEMA: 'PW2001',
  REQUIRED_FIELD: 'PW2002',
  UNKNOWN_STEP_TYPE: 'PW2003',
  INVALID_IDENTIFIER: 'PW2004',
  DUPLICATE_IDENTIFIER: 'PW2005',
  INVALID_DURATION: 'PW2006',
  UNKNOWN_FIELD: 'PW2007',

  INPUT_TYPE: 'PW3001',
  INPUT_NOT_ALLOWED: 'PW3002',
  INPUT_REGEX: 'PW3003',
  INPUT_MISSING: 'PW3004',
  INPUT_UNKNOWN: 'PW3005',
  HANDLEBARS_SYNTAX: 'PW3006',
  HANDLEBARS_UNKNOWN: 'PW3007',
  HANDLEBARS_HELPER: 'PW3008',
  RUNTIME_INPUT_MISSING: 'PW3010',
  RUNTIME_INPUT_INVALID: 'PW3011',
  EXPRESSION_UNRESOLVED: 'PW3012',
  OUTPUT_REFERENCE: 'PW3013',
  EXPRESSION_SYNTAX: 'PW3014',
  SET_PATH: 'PW3015',
  SET_VALUE: 'PW3016',
  REGEX_UNSUPPORTED: 'PW3017',

  TEMPLATE_NOT_FOUND: 'PW4001',
  NO_MATCHING_VERSION: 'PW4002',
  TEMPLATE_CYCLE: 'PW4003',
  TEMPLATE_TOO_DEEP: 'PW4004',
  TEMPLATE_TYPE: 'PW4005',
  TEMPLATE_INVALID: 'PW4006',
  TEMPLATE_CONFLICT: 'PW4007',
  TEMPLATE_SOURCE: 'PW4008',
  TEMPLATE_DEPRECATED: 'PW4009',
  TEMPLATE_SUNSET: 'PW4010',
  TEMPLATE_YANKED: 'PW4011',
  OPAQUE_TEMPLATE_NOT_FOUND: 'PW4012',

  DUPLICATE_STEP_ID: 'PW5001',
  NO_READINESS: 'PW5002',
  EXPANSION_TOO_LARGE: 'PW5003',
  EMPTY_PIPELINE: 'PW5004',
  DYNAMIC_STRATEGY: 'PW5005',

  POLICY_INVALID: 'PW6001',

  /** `export`: the target engine cannot do what the plan says (nothing is exported). */
  EXPORT_UNSUPPORTED: 'PW7001',
  /** `export`: exported, but the step will likely not work on the target engine. */
  EXPORT_WARNING: 'PW7002',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];

/**
 * A located failure thrown by a helper deep inside a compile step. One wrapper
 * (`DiagnosticBag.guard`) turns it into a diagnostic so the compile continues with the
 * next node. Never escapes the compiler's public API.
 */
export class LocatedError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly location: Location,
    readonly severity: Severity = 'error',
  ) {
    super(message);
  }
}

/** Default cap: a broken file should not bury the first, most useful messages. */
export const MAX_DIAGNOSTICS = 200;

/** Collects diagnostics up to a cap; the count of dropped ones is kept for the summary. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  dropped = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly cap = MAX_DIAGNOSTICS) {}

  /** Adds a diagnostic; an exact repeat of one already added is dropped silently. */
  add(code: Code, severity: Severity, message: string, at: Location): void {
    const key = `${at.file}:${at.line}:${at.column}:${code}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.items.length >= this.cap) {
      this.dropped++;
      return;
    }
    const d: Diagnostic = { code, severity, message, file: at.file, line: at.line, column: at.column };
    const spanned = withEnd(at);
    if (spanned.endLine !== undefined && spanned.endColumn !== undefined) {
      d.endLine = spanned.endLine;
      d.endColumn = spanned.endColumn;
    }
    this.items.push(d);
  }

  error(code: Code, message: string, at: Location): void {
    this.add(code, 'error', message, at);
  }

  warn(code: Code, message: string, at: Location): void {
    this.add(code, 'warning', message, at);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get full(): boolean {
    return this.items.length >= this.cap;
  }

  /** Runs `fn`; a thrown LocatedError becomes a diagnostic and `undefined` is returned. */
  guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof LocatedError) {
        this.add(e.code, e.severity, e.message, e.location);
        return undefined;
      }
      throw e;
    }
  }

  /** Async variant of `guard`. */
  async guardAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof LocatedError) {
        this.add(e.code, e.severity, e.message, e.location);
        return undefined;
      }
      throw e;
    }
  }
}

/**
 * `file:line:col: severity CODE message`, the one printed form of a diagnostic: always one
 * line, the file name and message through `printable` (they quote the user's files).
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${printable(d.file)}:${d.line}:${d.column}: ${d.severity} ${d.code} ${printable(d.message)}`;
}

/** Sorts diagnostics by file, line, column, code: the order in which they are printed. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
