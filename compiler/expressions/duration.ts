/**
 * Harness durations: `45s`, `10m`, `1h30m`, Go style `1h0m0s`, `500ms`, `1d`, `2w`.
 * An empty string means "not set".
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/**
 * Milliseconds of a duration string; `undefined` for an empty value; `null` when the text
 * is not a duration. A bare number is read as seconds (Harness UIs write `timeout: 30`).
 */
export function parseDuration(text: unknown): number | undefined | null {
  if (text === undefined || text === null || text === '') return undefined;
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text * 1000) : null;
  if (typeof text !== 'string') return null;
  const s = text.replace(/\s+/g, '');
  if (s === '') return undefined;
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return Math.round(total);
}
