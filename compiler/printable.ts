/**
 * Text from a pipeline, made safe for one line of a terminal or a CI log.
 */

/**
 * Characters that act on a terminal or a log instead of showing: C0 controls but tab, DEL,
 * C1 controls (U+0080–U+009F, CSI among them), the line and paragraph separators, and the
 * bidi embedding, override and isolate characters ("Trojan Source": U+202A–U+202E,
 * U+2066–U+2069).
 */
const UNPRINTABLE = /[^\P{Cc}\t]|[\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

/** The visible escape of one unprintable character: `\n`, `\r`, `\xHH` up to U+00FF, else `\uHHHH`. */
function escapeOf(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `text` with every character that could act on a terminal or a CI log — a line break (a
 * line of its own could be a GitHub `::error::` command), an escape sequence, a bidi override —
 * written as a visible escape (`\n`, `\x1b`, `\u202e`); tabs and all other text unchanged.
 * For values quoted in diagnostics and reports; JSON output keeps values exact instead.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOf);
}
