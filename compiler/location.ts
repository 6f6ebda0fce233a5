/**
 * Where something is written. A location found in YAML text also knows how to find where
 * its subject ends, but only computes it when asked (`withEnd`): locations are made far more
 * often than reported, as fallbacks for messages that never come.
 */

/**
 * 1-based line and column of a start and, when known, of the end (`endColumn` is exclusive,
 * as in SARIF and LSP: the column just after the last character), so a SARIF region or an
 * editor can underline the span.
 */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/**
 * A location that can find where its subject ends (the YAML reader's locations: a method on
 * their prototype, so it is invisible to JSON, spread and equality, and costs nothing until
 * a diagnostic is kept).
 */
export interface Spanned {
  spanEnd(): { line: number; col: number } | undefined;
}

/** `loc` with `endLine`/`endColumn` when it can find its end and has none yet. */
export function withEnd(loc: Location): Location {
  if (loc.endLine !== undefined) return loc;
  const spanEnd = (loc as Partial<Spanned>).spanEnd;
  const e = typeof spanEnd === 'function' ? spanEnd.call(loc) : undefined;
  if (!e || e.line < loc.line || (e.line === loc.line && e.col <= loc.column)) return loc;
  return { file: loc.file, line: loc.line, column: loc.column, endLine: e.line, endColumn: e.col };
}
