/**
 * Scalar rules of the fast YAML reader (`yaml-fast.ts`), written to answer exactly as the
 * `yaml` library does: the YAML 1.2 core schema for plain scalars, double-quoted escapes, and
 * the folding and chomping of block scalars.
 */

/** How a block scalar ends: `|` clip (one line break), `|-` strip (none), `|+` keep (all). */
export type Chomping = 'clip' | 'strip' | 'keep';

/**
 * A plain scalar under the YAML 1.2 core schema, trying tags in the order `yaml` does; with
 * `verbatim`, a number stays the text it was written as.
 */
export function resolvePlain(str: string, verbatim: boolean): unknown {
  const c = str.charCodeAt(0);
  // Fast exit for the usual case: a word that is no null, boolean or number.
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
    if (c !== 110 && c !== 78 && c !== 116 && c !== 84 && c !== 102 && c !== 70) return str;
  } else if (c !== 126 && c !== 46 && c !== 43 && c !== 45 && !(c >= 48 && c <= 57)) return str;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(str)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(str)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(str)) return false;
  let n: number | undefined;
  if (/^0o[0-7]+$/.test(str)) n = parseInt(str.substring(2), 8);
  else if (/^[-+]?[0-9]+$/.test(str)) n = parseInt(str, 10);
  else if (/^0x[0-9a-fA-F]+$/.test(str)) n = parseInt(str.substring(2), 16);
  else if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(str)) {
    n = str.slice(-3).toLowerCase() === 'nan' ? NaN : str[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  } else if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(str) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(str))
    n = parseFloat(str);
  if (n === undefined) return str;
  return verbatim ? str : n;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The value of a double-quoted scalar's body, or undefined when an escape is invalid. */
export function unescapeDouble(body: string): string | undefined {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i]!;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const len = HEX_LENGTH[e];
    const hex = len ? body.slice(i + 1, i + 1 + len) : '';
    if (!len || hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    out += String.fromCodePoint(code);
    i += len;
  }
  return out;
}

/**
 * The value of a block scalar from its lines (indentation removed, empty lines as ''):
 * literal or folded, then chomped. Trailing empty lines count only for `keep`.
 */
export function blockScalarValue(lines: string[], folded: boolean, chomp: Chomping): string {
  let last = lines.length;
  while (last > 0 && lines[last - 1] === '') last--;
  const content = lines.slice(0, last);
  const value = folded ? fold(content) : content.join('\n');
  if (chomp === 'strip') return value;
  return value + (chomp === 'clip' ? '\n' : '\n'.repeat(lines.length - last + 1));
}

/** Folding of a `>` scalar's content lines (indentation removed, empty lines as ''). */
function fold(lines: string[]): string {
  let out = '';
  let prevMore = false;
  let pendingEmpty = 0;
  let started = false;
  for (const line of lines) {
    if (line === '') {
      pendingEmpty++;
      continue;
    }
    const more = line.charCodeAt(0) === 32;
    if (!started) {
      out += '\n'.repeat(pendingEmpty);
      started = true;
    } else if (!more && !prevMore && pendingEmpty === 0) out += ' ';
    else if (!more && !prevMore) out += '\n'.repeat(pendingEmpty);
    else out += '\n'.repeat(pendingEmpty + 1);
    out += line;
    pendingEmpty = 0;
    prevMore = more;
  }
  return out;
}
