/**
 * What building a plan step (or stage) shares: the build context, substitution of expressions
 * into fields with problems located at the field, timeouts, `when` conditions and failure
 * strategies. The builders per step kind are in `step-builders.ts`, the fields of executed
 * steps (environment, ports, readiness) in `step-fields.ts`.
 */
import { textOf } from '../text.js';
import type { FailureRule, PlanWhen } from '../../schemas/index.js';
import { Codes, LocatedError, type DiagnosticBag, type Location } from '../diagnostics.js';
import { parseDuration } from '../expressions/duration.js';
import type { ExprScope } from '../expressions/expressions.js';
import { checkCondition, staticCondition, unwrapped } from '../../schemas/index.js';
import { substitute, type SubstituteSink } from '../expressions/substitute.js';
import type { Positions } from '../yaml/index.js';
import { setOwn } from '../own.js';

/** What the builder needs besides the node. */
export interface BuildContext {
  scope: ExprScope;
  sink: SubstituteSink;
  bag: DiagnosticBag;
  /** Location of the node, for messages without a more precise field. */
  at: Location;
  /** Where the values of this compile were written. */
  positions: Positions;
}

export type Obj = Record<string, unknown>;

/** What a helper needs to locate its problems: the node's location and the compile's table. */
export type Located = Pick<BuildContext, 'at' | 'positions'>;

/** `v` when it is a mapping, else an empty one. */
export function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

/** Milliseconds of `node.timeout`, or undefined; throws PW2006 when it is not a duration. */
export function timeoutOf(node: Obj, ctx: Located | BuildContext): number | undefined {
  let raw = node['timeout'];
  if (typeof raw === 'string' && raw.includes('<+')) {
    if (raw.startsWith('<+input')) return undefined;
    // `<+pipeline.variables.to>`, `<+matrix.t>`: known now when static.
    const before = 'bag' in ctx ? ctx.bag.items.length : 0;
    if ('scope' in ctx) raw = substituteAt(raw, node, 'timeout', { ...ctx, sink: { ...ctx.sink, refs: new Map() } });
    if (typeof raw === 'string' && raw.includes('<+')) {
      // Said once: an expression that was itself a problem (PW3012) gets no second word.
      if ('bag' in ctx && ctx.bag.items.length === before)
        ctx.bag.warn(
          Codes.DYNAMIC_STRATEGY,
          `timeout ${raw} is known only at run time: the plan has no timeout here`,
          ctx.positions.at(node, 'timeout', ctx.at),
        );
      return undefined;
    }
  }
  const ms = parseDuration(raw);
  if (ms === null)
    throw new LocatedError(
      Codes.INVALID_DURATION,
      `'${String(raw)}' is not a duration (like 45s, 10m, 1h30m)`,
      ctx.positions.at(node, 'timeout', ctx.at),
    );
  return ms;
}

/** A string field with its expressions substituted (problems located at the field); other values as they are. */
export function str(v: unknown, field: string, holder: Obj, ctx: BuildContext): unknown {
  if (typeof v !== 'string') return v;
  return substituteAt(v, holder, field, ctx);
}

/** Substitutes expressions of one field, reporting problems at that field. */
export function substituteAt(v: string, holder: object, field: string | number, ctx: BuildContext, quote = false): unknown {
  if (!v.includes('<+')) return v;
  const at = ctx.positions.at(holder, field, ctx.at);
  const sink: SubstituteSink = {
    refs: ctx.sink.refs,
    output: (path, name, crossStage) => ctx.sink.output(path, name, crossStage),
    problem: (code, message) => {
      const c =
        code === 'unknown-variable'
          ? Codes.EXPRESSION_UNRESOLVED
          : code === 'output'
            ? Codes.OUTPUT_REFERENCE
            : code === 'too-large'
              ? Codes.EXPANSION_TOO_LARGE
              : Codes.EXPRESSION_SYNTAX;
      ctx.bag.error(c, message, at);
    },
  };
  return substitute(v, ctx.scope, sink, { quote });
}

/** `substituteAt` over every string of a value (lists and mappings copied). */
export function deepSubstitute(v: unknown, ctx: BuildContext, holder?: object, key?: string | number): unknown {
  if (typeof v === 'string') return holder ? substituteAt(v, holder, key!, ctx) : v;
  if (Array.isArray(v)) return v.map((x, i) => deepSubstitute(x, ctx, v, i));
  if (v && typeof v === 'object') {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, deepSubstitute(x, ctx, v, k));
    return o;
  }
  return v;
}

/** Normalizes `when` of a step (stageStatus) or stage (pipelineStatus). */
export function whenOf(v: unknown, statusKey: 'stageStatus' | 'pipelineStatus', holder: object, ctx: BuildContext): PlanWhen | undefined {
  if (v === undefined || v === null) return undefined;
  const w = obj(v);
  const out: PlanWhen = {};
  const status = w[statusKey];
  if (status === 'Success' || status === 'Failure' || status === 'All') out.status = status;
  const cond = w['condition'];
  if (cond !== undefined && cond !== null && cond !== '') {
    // `<+<+a>.split(",").size() > 1>` is the expression inside: unwrapped before its references are.
    const c = String(typeof cond === 'string' ? substituteAt(unwrapped(cond), w, 'condition', ctx, true) : cond);
    try {
      checkCondition(c);
      // A condition without runtime references is evaluated now, so its errors surface here.
      staticCondition(c);
    } catch (e) {
      const shown = textOf(cond).length > 200 ? `${textOf(cond).slice(0, 200)}…` : textOf(cond);
      throw new LocatedError(
        Codes.EXPRESSION_SYNTAX,
        `condition '${shown}': ${(e as Error).message}`,
        ctx.positions.at(w, 'condition', ctx.at),
      );
    }
    out.condition = c;
  }
  return out.status || out.condition !== undefined ? out : undefined;
}

/** Combines an enclosing group's `when` with a step's own. */
export function combineWhen(outer: PlanWhen | undefined, inner: PlanWhen | undefined): PlanWhen | undefined {
  if (!outer) return inner;
  if (!inner) return outer;
  const out: PlanWhen = {};
  const status = inner.status ?? outer.status;
  if (status) out.status = status;
  if (outer.condition !== undefined && inner.condition !== undefined) out.condition = `(${outer.condition}) && (${inner.condition})`;
  else if (outer.condition !== undefined || inner.condition !== undefined) out.condition = (inner.condition ?? outer.condition)!;
  return out;
}

/** Normalizes Harness failure strategies; undefined when none are written. */
export function failureOf(v: unknown, holder: Obj, ctx: Located): FailureRule[] | undefined {
  if (v === undefined || v === null || !Array.isArray(v) || v.length === 0) return undefined;
  return v.map((item, i) => {
    const at = ctx.positions.at(v, i, ctx.at);
    const on = obj(obj(item)['onFailure']);
    const errorsRaw = on['errors'];
    const errors = Array.isArray(errorsRaw) ? errorsRaw.map(String) : ['AllErrors'];
    const action = obj(on['action']);
    const spec = obj(action['spec']);
    const out: FailureRule = { errors, action: { type: textOf(action['type'] ?? 'Abort') } };
    if (spec['retryCount'] !== undefined) out.action.retryCount = Number(spec['retryCount']);
    if (Array.isArray(spec['retryIntervals'])) {
      out.action.retryIntervalsMs = (spec['retryIntervals'] as unknown[]).map((d) => {
        const ms = parseDuration(d);
        if (ms === null || ms === undefined)
          throw new LocatedError(Codes.INVALID_DURATION, `retry interval '${String(d)}' is not a duration`, at);
        return ms;
      });
    }
    const onRetry = obj(obj(spec['onRetryFailure'])['action'])['type'];
    if (onRetry !== undefined) out.action.onRetryFailure = textOf(onRetry);
    if (spec['timeout'] !== undefined) {
      const ms = parseDuration(spec['timeout']);
      if (ms === null) throw new LocatedError(Codes.INVALID_DURATION, `timeout '${textOf(spec['timeout'])}' is not a duration`, at);
      if (ms !== undefined) out.action.timeoutMs = ms;
    }
    const onTimeout = obj(obj(spec['onTimeout'])['action'])['type'];
    if (onTimeout !== undefined) out.action.onTimeout = textOf(onTimeout);
    return out;
  });
}
