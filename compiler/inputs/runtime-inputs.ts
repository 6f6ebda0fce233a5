/**
 * Harness runtime inputs: a leaf written `<+input>` with optional modifiers
 * `.default(v)`, `.allowedValues(a,b)`, `.selectOneFrom(a,b)`, `.regex(re)`, `.executionInput()`.
 * Arguments may be quoted or not; unquoted ones take their YAML type (`true`, `3`).
 */
import { Codes } from '../diagnostics.js';
import { testRegex } from '../../schemas/index.js';

export interface RuntimeInput {
  default?: unknown;
  allowedValues?: unknown[];
  regex?: string;
  executionInput: boolean;
}

const PREFIX = '<+input>';

/** True when the value is a runtime input leaf. */
export function isRuntimeInput(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(PREFIX);
}

/**
 * Where a `.regex(` argument that starts at `i` ends. A pattern may hold parentheses, balanced
 * (`^(a+)+$`) or escaped (`\)`): it ends at the first `)` that closes what it opened and is
 * followed by the end or another modifier; failing that, at the last `)` (as before).
 */
function regexEnd(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0 && (j === s.length - 1 || /^\.[a-zA-Z]+\(/.test(s.slice(j + 1)))) return j;
      depth = Math.max(0, depth - 1);
    }
  }
  return s.lastIndexOf(')');
}

/** Parses a runtime input leaf; throws an Error with a readable message when malformed. */
export function parseRuntimeInput(text: string): RuntimeInput {
  const out: RuntimeInput = { executionInput: false };
  let i = PREFIX.length;
  const s = text.trimEnd();
  while (i < s.length) {
    if (s[i] !== '.') throw new Error(`unexpected '${s.slice(i)}' after <+input>`);
    const m = /^\.([a-zA-Z]+)\(/.exec(s.slice(i));
    if (!m) throw new Error(`malformed modifier '${s.slice(i)}'`);
    const name = m[1]!;
    i += m[0].length;
    const end = name === 'regex' ? regexEnd(s, i) : closing(s, i);
    if (end < i) {
      // The commonest cause: `{value: <+input>.allowedValues(a,b)}` — in flow style YAML ends a
      // plain value at the comma.
      const cut = !s.slice(i).includes(')')
        ? `; inside { } or [ ] YAML ends a plain value at a comma: quote the whole value ("${s},…)")`
        : '';
      throw new Error(`unclosed '(' in .${name}${cut}`);
    }
    const raw = s.slice(i, end);
    i = end + 1;
    switch (name) {
      case 'default':
        out.default = scalar(raw.trim());
        break;
      case 'allowedValues':
      case 'selectOneFrom':
        out.allowedValues = splitArgs(raw).map(scalar);
        break;
      case 'regex':
        out.regex = unquote(raw.trim());
        break;
      case 'executionInput':
        out.executionInput = true;
        break;
      default:
        throw new Error(`unknown modifier .${name}()`);
    }
  }
  return out;
}

/** Why a supplied value is refused: PW3011 for the value, PW3017 for a regex RE2 refuses. */
export interface RuntimeInputProblem {
  code: typeof Codes.RUNTIME_INPUT_INVALID | typeof Codes.REGEX_UNSUPPORTED;
  message: string;
}

/**
 * Checks a supplied value against the input's constraints; returns the problem or undefined.
 * Values are compared as strings, as Harness does; a regex is matched by RE2 (`regex.ts`).
 */
export function checkRuntimeInput(input: RuntimeInput, value: unknown): RuntimeInputProblem | undefined {
  if (input.allowedValues && !input.allowedValues.some((a) => String(a) === String(value))) {
    return {
      code: Codes.RUNTIME_INPUT_INVALID,
      message: `value '${String(value)}' is not one of ${input.allowedValues.map(String).join(', ')}`,
    };
  }
  if (input.regex !== undefined) {
    const r = testRegex(input.regex, String(value));
    if ('refused' in r)
      return r.refused === 'pattern'
        ? { code: Codes.REGEX_UNSUPPORTED, message: `regex ${input.regex} ${r.reason}` }
        : { code: Codes.RUNTIME_INPUT_INVALID, message: `${r.reason} (regex ${input.regex})` };
    if (!r.matched) return { code: Codes.RUNTIME_INPUT_INVALID, message: `value '${String(value)}' does not match ${input.regex}` };
  }
  return undefined;
}

function closing(s: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function splitArgs(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      cur += c;
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur.trim());
  return out;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) return s.slice(1, -1);
  return s;
}

/** An unquoted argument takes its YAML-like type; a quoted one stays a string. */
function scalar(raw: string): unknown {
  if (raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw[raw.length - 1] === raw[0]) return raw.slice(1, -1);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
