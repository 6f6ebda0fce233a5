/**
 * `when.condition` evaluation: a small expression language — string, number, boolean and
 * null literals, `==`, `!=`, `<`, `>`, `<=`, `>=`, `&&`, `||`, `!` and parentheses. Runtime
 * references `<+...>` are replaced by their values (as quoted literals) before parsing.
 */

export class ConditionError extends Error {}

type Tok = { t: 'lit'; v: unknown } | { t: 'op'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
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
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('<>!()'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?|true|false|null)(?![\w.])/.exec(src.slice(i));
    if (m) {
      out.push({ t: 'lit', v: m[1] === 'true' ? true : m[1] === 'false' ? false : m[1] === 'null' ? null : Number(m[1]) });
      i += m[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w.-]*/.exec(src.slice(i));
    if (word) {
      // A bare word is a string (Harness substitutes unquoted values).
      out.push({ t: 'lit', v: word[0] });
      i += word[0].length;
      continue;
    }
    throw new ConditionError(`unexpected '${c}' at ${i + 1}`);
  }
  return out;
}

const loose = (a: unknown, b: unknown) => (typeof a === 'number' || typeof b === 'number' ? Number(a) === Number(b) : String(a) === String(b));

/** Evaluates a condition whose runtime references were already replaced by literals. */
export function evaluateCondition(src: string): boolean {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const eat = (op: string) => {
    const t = toks[p];
    if (t?.t === 'op' && t.v === op) {
      p++;
      return true;
    }
    return false;
  };
  const primary = (): unknown => {
    if (eat('!')) return !truthy(primary());
    if (eat('(')) {
      const v = or();
      if (!eat(')')) throw new ConditionError('missing )');
      return v;
    }
    const t = toks[p++];
    if (!t || t.t !== 'lit') throw new ConditionError(t ? `unexpected '${String(t.v)}'` : 'unexpected end');
    return t.v;
  };
  const cmp = (): unknown => {
    const a = primary();
    const t = peek();
    if (t?.t === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(t.v)) {
      p++;
      const b = primary();
      switch (t.v) {
        case '==':
          return loose(a, b);
        case '!=':
          return !loose(a, b);
        case '<':
          return Number(a) < Number(b);
        case '>':
          return Number(a) > Number(b);
        case '<=':
          return Number(a) <= Number(b);
        default:
          return Number(a) >= Number(b);
      }
    }
    return a;
  };
  const and = (): unknown => {
    let v = cmp();
    while (eat('&&')) {
      const r = cmp();
      v = truthy(v) && truthy(r);
    }
    return v;
  };
  const or = (): unknown => {
    let v = and();
    while (eat('||')) {
      const r = and();
      v = truthy(v) || truthy(r);
    }
    return v;
  };
  const v = or();
  if (p !== toks.length) throw new ConditionError(`unexpected '${String(toks[p]!.v)}'`);
  return truthy(v);
}

function truthy(v: unknown): boolean {
  if (typeof v === 'string') return v !== '' && v !== 'false' && v !== 'null';
  return !!v;
}
