/**
 * A cheap look for the commonest alias bomb before the `yaml` library parses a file: one
 * large scalar anchored on its line (`description: &d "<100 KB>"`) and aliased many times
 * (`k0: *d`, `k1: *d`, ...). The library needs tens of milliseconds for such a file before
 * the converter's byte budget (PW1008) refuses it — time a registry's event loop cannot spare.
 *
 * It reads the raw text: each anchor counts as the rest of its line, each alias naming it
 * adds that much. Only when the sum passes the budget is the file refused, at the alias that
 * passes it. Anchors on mappings or sequences (several lines) count as one line here, so the
 * converter, which counts exactly, still catches what this misses.
 */

const ANCHOR = /&([^\s,[\]{}]+)/g;
const ALIAS = /(?<=^|[\s,[{:-])\*([^\s,[\]{}]+)/gm;

/** Offset of the alias at which the estimated expansion passes `budget`, or undefined. */
export function aliasBombAt(text: string, budget: number): number | undefined {
  if (!text.includes('*') || !text.includes('&')) return undefined;
  const size = new Map<string, number>();
  for (const m of text.matchAll(ANCHOR)) {
    const end = text.indexOf('\n', m.index);
    size.set(m[1]!, (end < 0 ? text.length : end) - m.index);
  }
  let total = 0;
  for (const m of text.matchAll(ALIAS)) {
    total += size.get(m[1]!) ?? 0;
    if (total > budget) return m.index;
  }
  return undefined;
}
