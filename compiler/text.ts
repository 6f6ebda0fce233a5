/**
 * The text of a value read from YAML, for ids, names and messages: scalars as `String` writes
 * them, mappings and sequences as JSON (never `[object Object]`).
 */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
