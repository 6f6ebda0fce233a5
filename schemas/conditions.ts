/**
 * The `when.condition` language: the JEXL subset Harness pipelines use. Part of the plan
 * contract, so the compiler checks conditions and the runtime evaluates them with one parser.
 *
 *   literals   'text' "text" 42 3.5 true false null, and bare words (Harness substitutes
 *              unquoted values: `prod == "prod"`)
 *   lists      [a, b] (a list value substituted into a condition is written so)
 *   operators  == != < > <= >= && || ! ( )  =~ (regex match)  !~ (no match)
 *              =^ (starts with)  !^ (does not start with)  =$ (ends with)  !$
 *              c ? a : b (lowest precedence)
 *   methods    x.contains(y) x.equals(y) x.equalsIgnoreCase(y) x.startsWith(y) x.endsWith(y)
 *              x.toLowerCase() x.toUpperCase() x.trim() x.split(sep) x.length() x.size()
 *              x.isEmpty(), chained (`x.split(",").size()`)
 * Runtime references `<+...>` are replaced by quoted literals before parsing. A condition
 * written as one expression around nested references (`<+<+a>.split(",").size() > 1>`, as
 * Harness's editor writes them) is read as the expression inside.
 */

import { regexProblem, testRegex } from './regex.js';

import { ConditionError, METHODS_TAKING_ONE as UNARY, tokenize, TWO } from './condition-tokens.js';

export { ConditionError };

const loose = (a: unknown, b: unknown) =>
  typeof a === 'number' || typeof b === 'number' ? Number(a) === Number(b) : String(a) === String(b);

function truthy(v: unknown): boolean {
  if (typeof v === 'string') return v !== '' && v !== 'false' && v !== 'null';
  return !!v;
}

/**
 * `a =~ b`: matched by RE2 (`regex.ts`), as input regexes are, so no pattern can backtrack
 * for minutes (`"aaaa…!" =~ "(a+)+$"`), at compile time or at run time.
 */
function matches(pattern: unknown, value: unknown): boolean {
  const r = testRegex(String(pattern), String(value));
  if ('refused' in r) throw new ConditionError(`regular expression ${String(pattern)}: ${r.reason}`);
  return r.matched;
}

function checkRegex(pattern: unknown): void {
  const problem = regexProblem(String(pattern));
  if (problem !== undefined) throw new ConditionError(`regular expression ${String(pattern)}: ${problem}`);
}

/** How deep parentheses, lists, negations, method arguments and `? :` may nest. */
export const MAX_CONDITION_DEPTH = 200;

function binary(op: string, a: unknown, b: unknown): unknown {
  switch (op) {
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
    case '>=':
      return Number(a) >= Number(b);
    case '=~':
      return matches(b, a);
    case '!~':
      return !matches(b, a);
    case '=^':
      return String(a).startsWith(String(b));
    case '!^':
      return !String(a).startsWith(String(b));
    case '=$':
      return String(a).endsWith(String(b));
    default:
      return !String(a).endsWith(String(b));
  }
}

/** `list[index]`: a whole number from 0 within the list. */
function at(list: unknown, index: unknown): unknown {
  if (!Array.isArray(list)) throw new ConditionError(`[${JSON.stringify(index)}] indexes a list, not ${JSON.stringify(list)}`);
  const i = typeof index === 'string' && index.trim() !== '' ? Number(index) : index;
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= list.length)
    throw new ConditionError(`index ${JSON.stringify(index)} is outside the list (${list.length} items)`);
  return list[i];
}

/**
 * The text of a condition value, for the string methods: a scalar as written, a list as its
 * items joined by commas, null as ''. Values are only these (literals, lists, method results).
 */
function conditionText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new ConditionError(`${JSON.stringify(v) ?? typeof v} is not a value a condition reads as text`);
}

function method(name: string, target: unknown, arg: unknown): unknown {
  const text = () => conditionText(target);
  switch (name) {
    case 'contains':
      return Array.isArray(target) ? target.map(String).includes(String(arg)) : text().includes(String(arg));
    case 'equals':
      return loose(target, arg);
    case 'equalsIgnoreCase':
      return text().toLowerCase() === String(arg).toLowerCase();
    case 'startsWith':
      return text().startsWith(String(arg));
    case 'endsWith':
      return text().endsWith(String(arg));
    case 'toLowerCase':
      return text().toLowerCase();
    case 'toUpperCase':
      return text().toUpperCase();
    case 'trim':
      return text().trim();
    case 'split':
      return Array.isArray(target) ? target : text().split(String(arg));
    case 'isEmpty':
      return Array.isArray(target) ? target.length === 0 : text() === '';
    default: // length, size
      return Array.isArray(target) ? target.length : text().length;
  }
}

/** Parses (and, unless `checkOnly`, evaluates) a condition. Throws ConditionError when malformed. */
function run(src: string, checkOnly: boolean): boolean {
  const v = valueOf(src, checkOnly);
  if (checkOnly) return true;
  if (typeof v === 'boolean') return v;
  // Text from a variable or an output: true/false in any case, as Harness compares them.
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  // Nothing (an empty output, null) is false.
  if (v === null || (typeof v === 'string' && v.trim() === '')) return false;
  // Anything else is a mistake in the condition: a gate must not run a step because "no" is not empty.
  throw new ConditionError(`the condition gives ${JSON.stringify(v) ?? typeof v}, not true or false`);
}

/** Parses and evaluates an expression to its value (a string, number, boolean or list). */
function valueOf(src: string, checkOnly: boolean): unknown {
  const toks = tokenize(src);
  if (toks.length === 0) throw new ConditionError('empty condition');
  let p = 0;
  let depth = 0;
  /** Runs `f` one level deeper; past MAX_CONDITION_DEPTH is an error, not a stack overflow. */
  const deeper = <T>(f: () => T): T => {
    if (++depth > MAX_CONDITION_DEPTH) throw new ConditionError(`nested deeper than ${MAX_CONDITION_DEPTH}`);
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const eat = (op: string) => {
    const t = toks[p];
    if (t?.t === 'op' && t.v === op) {
      p++;
      return true;
    }
    return false;
  };
  const postfix = (v: unknown): unknown => {
    let cur = v;
    for (;;) {
      if (eat('[')) {
        // An index into a list: `"a,b".split(",")[1]`.
        const index = ternary();
        if (!eat(']')) throw new ConditionError('missing ] after an index');
        cur = checkOnly ? true : at(cur, index);
        continue;
      }
      if (toks[p]?.t !== 'method') break;
      const name = String(toks[p++]!.v);
      const none = eat(')');
      const arg = none ? undefined : ternary();
      if (!none && !eat(')'))
        throw new ConditionError(
          toks[p]?.t === 'op' && toks[p]!.v === ','
            ? `.${name}() takes ${UNARY.has(name) ? 'one argument' : 'no argument'}`
            : `missing ) after .${name}(`,
        );
      if (UNARY.has(name) === none) throw new ConditionError(`.${name}() takes ${UNARY.has(name) ? 'one argument' : 'no argument'}`);
      cur = checkOnly ? true : method(name, cur, arg);
    }
    return cur;
  };
  const primary = (): unknown => deeper(primaryAt);
  const primaryAt = (): unknown => {
    if (eat('!')) return checkOnly ? (primary(), true) : !truthy(primary());
    if (eat('[')) {
      const items: unknown[] = [];
      if (!eat(']')) {
        do items.push(ternary());
        while (eat(','));
        if (!eat(']')) throw new ConditionError('missing ]');
      }
      return postfix(items);
    }
    if (eat('(')) {
      const v = ternary();
      if (!eat(')')) throw new ConditionError('missing )');
      return postfix(v);
    }
    const t = toks[p++];
    if (!t || t.t !== 'lit') throw new ConditionError(t ? `unexpected '${String(t.v)}'` : 'unexpected end of condition');
    return postfix(t.v);
  };
  const cmp = (): unknown => {
    const a = primary();
    const t = toks[p];
    if (t?.t === 'op' && (TWO.includes(t.v) || t.v === '<' || t.v === '>') && t.v !== '&&' && t.v !== '||') {
      p++;
      const b = primary();
      if (checkOnly) {
        // A pattern only the run knows (a reference) is checked when it is known.
        if ((t.v === '=~' || t.v === '!~') && b !== UNKNOWN) checkRegex(b);
        return true;
      }
      return binary(t.v, a, b);
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
  function ternary(): unknown {
    return deeper(ternaryAt);
  }
  function ternaryAt(): unknown {
    const c = or();
    if (!eat('?')) return c;
    const a = ternary();
    if (!eat(':')) throw new ConditionError("missing ':' of a '? :'");
    const b = ternary();
    return checkOnly ? true : truthy(c) ? a : b;
  }
  const v = ternary();
  if (p !== toks.length) throw new ConditionError(`unexpected '${String(toks[p]!.v)}'`);
  return v;
}

/** Evaluates a condition whose runtime references were already replaced by literals. */
export function evaluateCondition(src: string): boolean {
  return run(unwrapped(src), false);
}

/**
 * Evaluates an expression body whose runtime references were already replaced by literals,
 * to its value: `"dev,prod".split(",")` is a list (a matrix axis decided at run time).
 */
export function evaluateValue(src: string): unknown {
  return valueOf(unwrapped(src), false);
}

/** Checks a condition's syntax; runtime references `<+...>` stand for unknown values. */
export function checkCondition(src: string): void {
  run(withUnknowns(unwrapped(src)), true);
}

/**
 * `src` with each runtime reference standing for an unknown value: a string literal of its
 * own, or — inside a literal already (`.contains("x-<+matrix.v>")`) — text in that literal.
 */
function withUnknowns(src: string): string {
  return replaceInExpression(src, new RegExp(`${OPEN_INPUT.source}|<\\+(?:[^<>]|<\\+[^<>]*>)*>`, 'g'), (_m, quote) =>
    quote ? '?' : `"${UNKNOWN}"`,
  );
}

/**
 * Replaces each match of `re` (global) in an expression's text, told whether the match stands
 * inside a string literal (`quote` is its quote character) or not (''), in one pass: the
 * literal state is scanned on from one match to the next, replaced text never rescanned.
 */
export function replaceInExpression(text: string, re: RegExp, replace: (match: string, quote: string) => string): string {
  let out = '';
  let last = 0;
  let quote = '';
  let scanned = 0;
  for (const m of text.matchAll(re)) {
    for (let i = scanned; i < m.index; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
    }
    scanned = m.index + m[0].length;
    out += text.slice(last, m.index) + replace(m[0], quote);
    last = scanned;
  }
  return out + text.slice(last);
}

/** What a reference stands for while a condition is checked: a value only the run knows. */
const UNKNOWN = '\u0000';

/**
 * An open runtime input kept as a placeholder (`compile --partial`) with its modifiers:
 * `<+input>.allowedValues(dev,prod)`, `<+input>.executionInput()`: one unknown value.
 */
const OPEN_INPUT = /<\+input>(?:\.(?:allowedValues|executionInput|regex|default|selectOneFrom)\((?:[^()]|\([^()]*\))*\))*/g;

/**
 * `<+<+a>.split(",").size() > 1>`: one expression around nested references, as Harness's
 * editor writes conditions, is the expression inside (a `>` in it cannot close a reference).
 */
export function unwrapped(src: string): string {
  const t = src.trim();
  return t.startsWith('<+<+') && t.endsWith('>') ? t.slice(2, -1) : src;
}

/** Evaluates a condition when it holds no runtime reference; undefined otherwise. */
export function staticCondition(src: string): boolean | undefined {
  return src.includes('<+') ? undefined : evaluateCondition(src);
}
