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

/** The end of a location's subject, computed on demand. */
export interface Span {
  end(): { line: number; col: number } | undefined;
}

/** A hidden (symbol-keyed, non-enumerable) property: invisible to JSON, spread and equality. */
const SPAN = Symbol('span');

/** Gives `loc` a way to find its end later. */
export function attachSpan(loc: Location, span: Span): Location {
  Object.defineProperty(loc, SPAN, { value: span });
  return loc;
}

/** `loc` with `endLine`/`endColumn` when it has a span and no end yet. */
export function withEnd(loc: Location): Location {
  if (loc.endLine !== undefined) return loc;
  const e = (loc as { [SPAN]?: Span })[SPAN]?.end();
  if (!e || e.line < loc.line || (e.line === loc.line && e.col <= loc.column)) return loc;
  return { ...loc, endLine: e.line, endColumn: e.col };
}
