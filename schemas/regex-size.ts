/**
 * How much a regex's counted repetitions (`x{n}`, `x{n,}`, `x{n,m}`) enlarge it. RE2 matches
 * in time linear in the input, but its program (and its time per input character) grows with
 * every copy a counted repetition makes: `.{1000}x` costs seconds on a few kilobytes of text,
 * `^.{0,1000}$` half a second to compile. Input regexes are bounded by the copies they make,
 * so every accepted pattern is matched in milliseconds.
 *
 * The count reads the pattern as RE2 does, well enough for that purpose: a counted repetition
 * of an atom or group makes (upper bound − 1) extra copies of what it repeats, nested counts
 * multiply, `{n,}` counts as n + 1. Literal text, classes, alternations and `*`, `+`, `?` make
 * no copies, so a long list of alternatives costs nothing here. Patterns RE2 cannot parse are
 * left to RE2 to refuse (the count never throws).
 */

/** One open group: the size of what was read inside it, and of its current last atom. */
interface Frame {
  size: number;
  last: number;
}

/**
 * The number of atoms `pattern` has once every counted repetition is written out, minus the
 * atoms of the pattern as written: the extra copies its counted repetitions make.
 */
export function repetitionCopies(pattern: string): number {
  let atoms = 0;
  const stack: Frame[] = [{ size: 0, last: 0 }];
  const top = () => stack[stack.length - 1]!;
  const atom = (size: number) => {
    const f = top();
    f.size += size;
    f.last = size;
    if (size === 1) atoms++;
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      i = escapeEnd(pattern, i);
      atom(1);
    } else if (c === '[') {
      i = classEnd(pattern, i);
      atom(1);
    } else if (c === '(') {
      i = groupStart(pattern, i);
      stack.push({ size: 0, last: 0 });
    } else if (c === ')') {
      i++;
      if (stack.length > 1) {
        const inner = stack.pop()!;
        const f = top();
        f.size += inner.size;
        f.last = inner.size;
      }
    } else if (c === '|') {
      i++;
      top().last = 0;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (!m) {
        i++;
        atom(1);
        continue;
      }
      i += m[0].length;
      const low = Number(m[1]);
      const high = m[2] === undefined ? low : m[3] === '' ? low + 1 : Number(m[3]);
      const f = top();
      // The repeated item is there once already; the count adds (high - 1) more copies.
      const extra = f.last * (Math.max(high, 1) - 1);
      f.size += extra;
      f.last += extra;
    } else {
      i++;
      // Quantifiers, anchors and the lazy marker are no atoms.
      if (c === '*' || c === '+' || c === '?' || c === '^' || c === '$') continue;
      atom(1);
    }
  }
  while (stack.length > 1) {
    const inner = stack.pop()!;
    top().size += inner.size;
  }
  return Math.max(0, top().size - atoms);
}

/** Past an escape at `i`: `\x`, `\pL`, `\p{Greek}`, `\x{10FFFF}`, `\Q...\E`. */
function escapeEnd(p: string, i: number): number {
  const e = p[i + 1];
  if ((e === 'p' || e === 'P' || e === 'x') && p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    return close < 0 ? p.length : close + 1;
  }
  if (e === 'Q') {
    const end = p.indexOf('\\E', i + 2);
    return end < 0 ? p.length : end + 2;
  }
  return Math.min(p.length, i + (e === 'p' || e === 'P' ? 3 : 2));
}

/** Past a character class opening at `i` (a `]` first in it is a literal). */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '\\') j = escapeEnd(p, j);
    else if (p[j] === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      j = close < 0 ? j + 1 : close + 2;
    } else j++;
  }
  return Math.min(p.length, j + 1);
}

/** Past the opening of a group at `i`: `(`, `(?:`, `(?P<name>`, `(?<name>`, `(?i:`. */
function groupStart(p: string, i: number): number {
  if (p[i + 1] !== '?') return i + 1;
  const m = /^\(\?(?:P?<[^>]*>|[a-zA-Z-]*:?)/.exec(p.slice(i, i + 140));
  return i + (m ? m[0].length : 2);
}
