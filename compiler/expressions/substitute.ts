/**
 * Substitution of expressions in one string, given a scope: static values replace their
 * expression, runtime ones are kept and listed as plan references.
 */
import { textOf } from '../text.js';
import type { PlanRef } from '../../schemas/index.js';
import { classify, pathCall, scanExpressions, type ExprScope } from './expressions.js';
import { isRuntimeInput } from '../inputs/runtime-inputs.js';
import { MAX_FIELD_BYTES, SizeBudget } from '../size-budget.js';

/** Receives problems found while substituting (unknown variables, bad output references). */
export interface SubstituteSink {
  problem(code: 'unknown-variable' | 'syntax' | 'output' | 'too-large', message: string): void;
  /** Maps an output reference to a plan step id, or returns an error message. */
  output(path: string[], name: string, crossStage: string | undefined): { step: string } | { error: string };
  refs: Map<string, PlanRef>;
}

export interface SubstituteOptions {
  /** Conditions: static strings become quoted literals so the condition stays an expression. */
  quote?: boolean;
  /** Quote only expressions that do not already stand inside a string literal (nested bodies). */
  quoteOutsideStrings?: boolean;
}

/** True when offset `at` of `s` lies inside a '...' or "..." literal. */
function insideString(s: string, at: number): boolean {
  let quote = '';
  for (let i = 0; i < at; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
  }
  return quote !== '';
}

const MAX_DEPTH = 10;
/** What one expression costs against the budget besides the text it produces. */
const EXPRESSION_COST = 64;

/**
 * Returns `s` with static expressions replaced. A string that is exactly one expression takes
 * the value's type (a number variable stays a number) unless `quote` is set.
 *
 * Variables may refer to variables: the text produced, and the expressions resolved, count
 * against one budget (shared by the nested calls of one field), so ten variables each using the
 * one before ten times stop at `MAX_FIELD_BYTES` with a 'too-large' problem, not at the end of
 * the heap.
 */
export function substitute(
  s: string,
  scope: ExprScope,
  sink: SubstituteSink,
  opts: SubstituteOptions = {},
  depth = 0,
  shared?: SizeBudget,
): unknown {
  if (!s.includes('<+') || isRuntimeInput(s)) return s;
  // A field that expanded past the limit once does so in every strategy copy that cannot
  // change it: refused at once there, instead of the same megabytes expanded per copy.
  const memo = shared ? undefined : tooLargeMemo(s, scope);
  if (memo?.has(s)) {
    sink.problem('too-large', `expressions here expand past ${MAX_FIELD_BYTES} bytes (variables that use each other many times over?)`);
    return s;
  }
  const work = shared ?? new SizeBudget(MAX_FIELD_BYTES);
  const result = substituteIn(s, scope, sink, opts, depth, work);
  if (!shared && work.exceeded) {
    memo?.add(s);
    sink.problem('too-large', `expressions here expand past ${MAX_FIELD_BYTES} bytes (variables that use each other many times over?)`);
    return s;
  }
  return result;
}

/** Field texts known to expand too far, per variables object (a stage copy's, else the pipeline's). */
const tooLarge = new WeakMap<object, Set<string>>();

/** The memo a field may use: none when its value may depend on the strategy copy. */
function tooLargeMemo(s: string, scope: ExprScope): Set<string> | undefined {
  if (/<\+\s*(matrix|strategy|repeat|step)\b/.test(s)) return undefined;
  const key = scope.stage?.variables ?? scope.pipeline.variables;
  let set = tooLarge.get(key);
  if (!set) tooLarge.set(key, (set = new Set()));
  return set;
}

/** The sink for a variable's value: its problems name the variable they came through. */
function through(sink: SubstituteSink, expr: string): SubstituteSink {
  return { ...sink, problem: (code, message) => sink.problem(code, code === 'output' ? `${message} (through ${expr})` : message) };
}

function substituteIn(
  s: string,
  scope: ExprScope,
  sink: SubstituteSink,
  opts: SubstituteOptions,
  depth: number,
  work: SizeBudget,
): unknown {
  const { matches, open } = scanExpressions(s);
  if (open !== undefined) {
    sink.problem('syntax', `unclosed expression '${s.slice(open, open + 40)}'`);
    return s;
  }
  if (depth > MAX_DEPTH) {
    sink.problem('syntax', `expression nesting deeper than ${MAX_DEPTH} (a variable that refers to itself?)`);
    return s;
  }
  let out = '';
  let last = 0;
  for (const m of matches) {
    if (work.add(EXPRESSION_COST)) return s;
    let body = m.body;
    let text = m.text;
    const call = body.includes('<+') ? undefined : pathCall(body);
    if (call) {
      if (classify(call.path, scope).kind === 'secret') {
        sink.problem('syntax', `${text}: a secret is used only as a whole value (no methods on it)`);
        continue;
      }
      body = call.nested;
      text = `<+${body}>`;
    }
    if (body.includes('<+')) {
      // A nested expression: resolve the inside first, as quoted literals, so the outside can
      // call methods on them (<+<+pipeline.variables.x>.split(',')> → <+"a,b".split(',')>).
      const inner = substitute(body, scope, sink, { quoteOutsideStrings: true }, depth + 1, work);
      body = String(inner);
      text = `<+${body}>`;
    }
    const k = classify(body, scope);
    let replacement: string | undefined;
    let typed: unknown;
    switch (k.kind) {
      case 'static': {
        let v = k.value;
        if (typeof v === 'string' && v.includes('<+')) v = substitute(v, scope, through(sink, m.text), {}, depth + 1, work);
        typed = v;
        // Inside a string literal of a condition (`.contains("<+matrix.env>:eu")`) a value is text, never quoted again.
        const quote = (opts.quote || opts.quoteOutsideStrings) && !insideString(s, m.start);
        replacement =
          quote && typeof v === 'string' && !v.includes('<+')
            ? JSON.stringify(v)
            : v === null || v === undefined
              ? ''
              : typeof v === 'object'
                ? JSON.stringify(v)
                : textOf(v);
        break;
      }
      case 'secret':
        sink.refs.set(text, { expr: text, kind: 'secret', name: k.name });
        break;
      case 'output': {
        const r = sink.output(k.path, k.name, k.crossStage);
        if ('error' in r) sink.problem('output', r.error);
        else sink.refs.set(text, { expr: text, kind: 'output', step: r.step, name: k.name });
        break;
      }
      case 'unknown-variable':
        sink.problem('unknown-variable', k.message);
        break;
      case 'invalid':
        sink.problem('syntax', k.message);
        break;
      case 'input':
        break;
      case 'runtime':
        sink.refs.set(text, { expr: text, kind: 'runtime' });
        break;
    }
    if (
      matches.length === 1 &&
      m.start === 0 &&
      m.end === s.length &&
      replacement !== undefined &&
      !opts.quote &&
      !opts.quoteOutsideStrings
    )
      return typed;
    const piece = replacement ?? text;
    if (work.add(m.start - last + piece.length)) return s;
    out += s.slice(last, m.start) + piece;
    last = m.end;
  }
  return out + s.slice(last);
}
