/**
 * Input regexes — a typed input's `regex` and Harness's `<+input>.regex()` — in RE2 syntax,
 * matched by RE2 (`re2-wasm`, pure WebAssembly) in time linear in the value: a pattern like
 * `^(a+)+$` that backtracks for hours in JavaScript answers in microseconds. The registry
 * checks them while it publishes, on its event loop, so no pattern may take long.
 *
 * The dialect is JavaScript's for ordinary patterns (anchors, classes, `\d`, `\w`, `\s`,
 * `\p{…}`, groups, named groups, alternation, `*`, `+`, `?`, `{n,m}`, lazy quantifiers) with
 * the `u` flag; refused, with a message naming the feature: backreferences (`\1`, `\k<n>`),
 * lookahead and lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`), counts over 1000, counted
 * repetitions that copy the pattern more than `MAX_REPETITION_COPIES` times
 * (`regex-size.ts`) and patterns longer than `MAX_PATTERN_LENGTH`. A value longer than
 * `MAX_MATCHED_LENGTH` is not matched (RE2 runs in a fixed 16 MB WebAssembly heap).
 *
 * The engine is loaded on first use (most compiles check no regex); compiled patterns are
 * kept in a small most-recently-used table and their WebAssembly memory freed on eviction.
 */
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import type * as Re2Wasm from 're2-wasm';
import { repetitionCopies } from './regex-size.js';

/** Most extra copies counted repetitions may make of a pattern's atoms (`.{1,255}` makes 254). */
export const MAX_REPETITION_COPIES = 256;
/** Longest pattern, in characters. */
export const MAX_PATTERN_LENGTH = 1000;
/**
 * Most work one match may take, as pattern length × value length: re2-wasm, confined to a
 * 16 MB heap, often runs its slower NFA, about 0.6 µs per (pattern character, value
 * character) — so 150,000 is about 90 ms at worst (a 30-character pattern takes 5,000-character values).
 */
export const MAX_MATCH_WORK = 150_000;
/** Counted repetitions of a Unicode property class (`\p{L}{1,256}`) weigh this much more: each copy is a large class. */
const PROPERTY_CLASS_WEIGHT = 64;
/** Longest value matched against a pattern, in UTF-16 code units (at most 768 KB of UTF-8). */
export const MAX_MATCHED_LENGTH = 256 * 1024;
/** Compiled patterns kept; each holds WebAssembly memory until it is evicted. */
const CACHE_SIZE = 16;

/** The outcome of matching: whether it matched, or why the pattern or the value is refused. */
export type RegexOutcome = { matched: boolean } | { refused: 'pattern' | 'value'; reason: string };

interface Compiled {
  re?: Re2Wasm.RE2;
  problem?: string;
}

/** The RE2 object's embind handle, whose memory lives in the WebAssembly heap until deleted. */
interface Handle {
  wrapper?: { delete(): void };
}

const require = createRequire(import.meta.url);
let engine: typeof Re2Wasm | undefined;
const cache = new Map<string, Compiled>();

function re2(): typeof Re2Wasm {
  return (engine ??= require('re2-wasm') as typeof Re2Wasm);
}

/**
 * Why `pattern` cannot be an input regex, or undefined when it can. The reason is a phrase
 * fit to follow "regex P: ".
 */
export function regexProblem(pattern: string): string | undefined {
  return compiled(pattern).problem;
}

/** Matches `value` against `pattern` as `RegExp.prototype.test` (a search, not anchored) would. */
export function testRegex(pattern: string, value: string): RegexOutcome {
  const c = compiled(pattern);
  if (c.problem !== undefined) return { refused: 'pattern', reason: c.problem };
  if (value.length > MAX_MATCHED_LENGTH) {
    return {
      refused: 'value',
      reason: `the value is ${value.length} characters long; a value checked against a regex may be at most ${MAX_MATCHED_LENGTH}`,
    };
  }
  if (value.length * pattern.length > MAX_MATCH_WORK) {
    return {
      refused: 'value',
      reason: `checking a value of ${value.length} characters against this ${pattern.length}-character pattern is too much work (pattern × value length at most ${MAX_MATCH_WORK})`,
    };
  }
  try {
    return { matched: c.re!.test(value) };
  } catch (e) {
    // The WebAssembly heap ran out (an abort): start a fresh engine and try once more.
    reset();
    try {
      return { matched: compiled(pattern).re!.test(value) };
    } catch {
      return { refused: 'value', reason: `the regex engine failed on this value (${firstLine(e)})` };
    }
  }
}

function compiled(pattern: string): Compiled {
  const known = cache.get(pattern);
  if (known) {
    // Most recently used last: Map keeps insertion order.
    cache.delete(pattern);
    cache.set(pattern, known);
    return known;
  }
  const c = compile(pattern);
  cache.set(pattern, c);
  if (cache.size > CACHE_SIZE) {
    const [oldest, entry] = cache.entries().next().value as [string, Compiled];
    cache.delete(oldest);
    (entry.re as Handle | undefined)?.wrapper?.delete();
  }
  return c;
}

function compile(pattern: string): Compiled {
  if (pattern.length > MAX_PATTERN_LENGTH)
    return { problem: `the pattern is ${pattern.length} characters long, more than ${MAX_PATTERN_LENGTH}` };
  const unsupported = unsupportedFeature(pattern);
  if (unsupported) return { problem: `${unsupported} ${DIALECT}` };
  const copies = repetitionCopies(pattern);
  if (copies > MAX_REPETITION_COPIES) {
    return {
      problem: `counted repetitions ({n,m}) copy the pattern ${copies} times, more than ${MAX_REPETITION_COPIES}: use *, + or a smaller count`,
    };
  }
  if (/\\[pP]/.test(pattern) && copies * PROPERTY_CLASS_WEIGHT > MAX_REPETITION_COPIES) {
    return {
      problem: `counted repetitions ({n,m}) copy Unicode property classes ${copies} times, more than ${MAX_REPETITION_COPIES / PROPERTY_CLASS_WEIGHT}: use *, + or a smaller count`,
    };
  }
  try {
    return { re: new (re2().RE2)(pattern, 'u') };
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError))
      return { problem: `${describeRe2Error(pattern, e instanceof Error ? e.message : String(e))} ${DIALECT}` };
  }
  // The WebAssembly heap ran out (an abort), which says nothing about the pattern: a fresh engine.
  reset();
  try {
    return { re: new (re2().RE2)(pattern, 'u') };
  } catch (e) {
    const why = firstLine(e);
    return {
      problem: /OOM|abort\(/.test(why)
        ? 'is too complex for the regex engine (it ran out of memory): simplify it'
        : `could not be compiled (${why})`,
    };
  }
}

const DIALECT = '(input regexes use RE2 syntax, matched in linear time: no backreferences, lookahead or lookbehind)';

/** The features RE2 lacks, found before compiling so the message can name them. */
function unsupportedFeature(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e !== undefined && e >= '1' && e <= '9') return `backreference \\${e} is not supported`;
      if (e === 'k' && pattern[i + 2] === '<') return 'named backreference \\k<...> is not supported';
      i++;
    } else if (c === '[') {
      // Inside a class, ( and \1 mean other things; skip to its end.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return `lookahead (?${rest[0]} is not supported`;
      if (rest === '<=' || rest === '<!') return `lookbehind (?${rest} is not supported`;
    }
  }
  return undefined;
}

/** RE2's message without the pattern repeated, e.g. "invalid repetition size: {1001}". */
function describeRe2Error(pattern: string, message: string): string {
  const prefix = `Invalid regular expression: /${pattern}/u: `;
  return `is not a valid pattern: ${message.startsWith(prefix) ? message.slice(prefix.length) : message}`;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const i = msg.indexOf('\n');
  return i < 0 ? msg : msg.slice(0, i);
}

/** Drops the engine and every compiled pattern: the next use loads a fresh WebAssembly instance. */
function reset(): void {
  cache.clear();
  for (const key of Object.keys(require.cache)) if (key.includes(`${sep}re2-wasm${sep}`)) delete require.cache[key];
  engine = undefined;
}
