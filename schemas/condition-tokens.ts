/**
 * The tokens of the `when.condition` language (see conditions.ts): literals, operators and
 * method names, and the error every stage of reading a condition throws.
 */

/** A condition that cannot be read or evaluated: its message says where and why. */
export class ConditionError extends Error {}

export type Tok = { t: 'lit'; v: unknown } | { t: 'op'; v: string } | { t: 'method'; v: string };

/** Two-character operators. */
export const TWO = ['==', '!=', '<=', '>=', '&&', '||', '=~', '!~', '=^', '!^', '=$', '!$'];
/** The methods a condition may call. */
const METHODS = new Set([
  'contains',
  'equals',
  'equalsIgnoreCase',
  'startsWith',
  'endsWith',
  'toLowerCase',
  'toUpperCase',
  'trim',
  'split',
  'length',
  'size',
  'isEmpty',
]);
/** The methods that take one argument; the others take none. */
export const METHODS_TAKING_ONE = new Set(['contains', 'equals', 'equalsIgnoreCase', 'startsWith', 'endsWith', 'split']);

/** Splits a condition into literals, operators and method names. */
export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  /** Open `<+` groups: one is a parenthesis, closed by the next `>` (as expressions are scanned). */
  let groups = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '<' && src[i + 1] === '+') {
      // `<+"a,b".split(",")>` is a group around a value; `<+codebase.branch>` is a reference
      // nobody filled, which must not pass as the text "codebase.branch".
      const path = /^<\+\s*([A-Za-z_][\w.-]*)/.exec(src.slice(i));
      if (path) {
        const end = src.indexOf('>', i);
        throw new ConditionError(`unresolved reference ${end < 0 ? `<+${path[1]}` : src.slice(i, end + 1)}`);
      }
      out.push({ t: 'op', v: '(' });
      groups++;
      i += 2;
      continue;
    }
    if (c === '>' && groups > 0) {
      out.push({ t: 'op', v: ')' });
      groups--;
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ConditionError(`unclosed string at ${i + 1}`);
      out.push({ t: 'lit', v: s });
      i = j + 1;
      continue;
    }
    const method = /^\.([A-Za-z]+)\s*\(/.exec(src.slice(i));
    if (method) {
      if (!METHODS.has(method[1]!)) throw new ConditionError(`unknown method .${method[1]}() (known: ${[...METHODS].join(', ')})`);
      out.push({ t: 'method', v: method[1]! });
      i += method[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO.includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('<>!(),[]?:'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?|true|false|null)(?![\w])/.exec(src.slice(i));
    if (m) {
      out.push({ t: 'lit', v: m[1] === 'true' ? true : m[1] === 'false' ? false : m[1] === 'null' ? null : Number(m[1]) });
      i += m[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w-]*(?:\.(?![A-Za-z]+\s*\()[\w-]+)*/.exec(src.slice(i));
    if (word) {
      out.push({ t: 'lit', v: word[0] });
      i += word[0].length;
      continue;
    }
    throw new ConditionError(`unexpected '${c}' at ${i + 1}`);
  }
  return out;
}
