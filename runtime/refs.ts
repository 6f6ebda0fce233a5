/**
 * Runtime references: the plan lists, per step, the `<+...>` expressions only a run can
 * fill (step outputs, secrets, run facts). Before a step starts they are replaced in every
 * string field; secret values are registered with the masker first.
 */
import { isExecuted, isLongLived, replaceInExpression } from '../schemas/index.js';
import type { PlanRef, PlanStage, PlanStep } from '../schemas/index.js';
import type { Masker } from './secrets.js';

export interface RefContext {
  /** Outputs by plan step id. */
  outputs: Map<string, Record<string, string>>;
  secrets: Record<string, string>;
  /** Known run facts by expression body (`pipeline.sequenceId`, `pipeline.executionId`, ...). */
  facts: Record<string, string>;
  masker: Masker;
}

export class RefError extends Error {}

const COPY_VALUE_BODY = String.raw`(?:(?:matrix|strategy|repeat)\.|(?:step|stepGroup|stage)\.identifierPostFix\s*>)`;
/** A reference to a strategy copy's own values: `<+matrix.x>`, `<+strategy.iteration>`, `<+repeat.item>`, `<+step.identifierPostFix>`. */
export const COPY_VALUE = new RegExp(`^<\\+\\s*${COPY_VALUE_BODY}`);
/** Whether a text (a condition) uses a strategy copy's own values anywhere. */
export const USES_COPY_VALUE = new RegExp(`<\\+\\s*${COPY_VALUE_BODY}`);

/**
 * The value of one reference, or undefined when the run cannot know it. An output of a step
 * that produced none (skipped, failed) is empty text, or unknown when `strict` (conditions:
 * a condition on an output that never came must not pass as if it were empty).
 */
function valueOf(ref: PlanRef, ctx: RefContext, strict: boolean): string | undefined {
  switch (ref.kind) {
    case 'output': {
      const produced = ctx.outputs.get(ref.step ?? '');
      if (!produced) return strict ? undefined : '';
      return produced[ref.name ?? ''] ?? (strict ? undefined : '');
    }
    case 'secret': {
      const v = ctx.secrets[ref.name ?? ''];
      if (v === undefined)
        throw new RefError(`secret '${ref.name}' is not defined (--secrets-file, or PIPEWRIGHT_SECRET_${(ref.name ?? '').toUpperCase()})`);
      ctx.masker.add(v);
      return v;
    }
    default:
      return ctx.facts[ref.expr.slice(2, -1).trim()];
  }
}

/** The values of `refs` the run knows, as (expression text, value) pairs. */
export function refValues(refs: PlanRef[], ctx: RefContext, strict = false): [string, string][] {
  const values: [string, string][] = [];
  for (const r of refs) {
    const v = valueOf(r, ctx, strict);
    if (v !== undefined) values.push([r.expr, v]);
  }
  return values;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `v` written inside a `q`-quoted literal of an expression (only `\` and the quote escaped, as the condition reader reads them). */
const inQuotes = (v: string, q: string) => v.replace(/\\/g, '\\\\').split(q).join(`\\${q}`);

/**
 * Replaces every reference in `text` in one pass: a value holding another reference's text is
 * data, never replaced again. With `expression`, values become string literals of the
 * expression language: quoted, or escaped when the reference stands inside a literal already
 * (`.contains("<+matrix.env>:eu")`).
 */
export function fillRefs(text: string, values: [string, string][], expression = false): string {
  if (values.length === 0 || !text.includes('<+')) return text;
  const byExpr = new Map(values);
  const re = new RegExp(
    [...byExpr.keys()]
      .sort((a, b) => b.length - a.length)
      .map(escapeRe)
      .join('|'),
    'g',
  );
  return replaceInExpression(text, re, (m, quote) => {
    const v = byExpr.get(m)!;
    return !expression ? v : quote ? inQuotes(v, quote) : `"${inQuotes(v, '"')}"`;
  });
}

/** A stage's condition with its references (earlier stages' outputs, run facts) replaced. */
export function resolveStageCondition(stage: PlanStage, ctx: RefContext): string | undefined {
  const condition = stage.when?.condition;
  if (condition === undefined || !stage.refs?.length) return condition;
  return fillRefs(condition, refValues(stage.refs, ctx, true), true);
}

/** A copy of `step` with its references replaced (conditions get string literals). */
export function resolveStep<S extends PlanStep>(step: S, ctx: RefContext): S {
  const refs = step.refs ?? [];
  if (refs.length === 0) return step;
  const values = refValues(refs, ctx);
  // A copy's values the run never made: the strategy of an enclosing step group or stage was
  // decided at run time and compiled as one copy (PW5005); running it would use the text.
  const copyless = refs.find((r) => r.kind === 'runtime' && COPY_VALUE.test(r.expr) && !values.some(([e]) => e === r.expr));
  if (copyless)
    throw new RefError(
      `${copyless.expr} has no value: the strategy it belongs to is decided at run time in a form pipewright does not expand (PW5005)`,
    );
  const fill = (t: string) => fillRefs(t, values);
  const out: S = { ...step, env: Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, fill(v)])) };
  if (isExecuted(out)) {
    if (out.command !== undefined) out.command = fill(out.command);
    if (out.image !== undefined) out.image = fill(out.image);
    if (out.entrypoint) out.entrypoint = out.entrypoint.map(fill);
    if (out.args) out.args = out.args.map(fill);
  }
  if (isLongLived(out) && out.readiness) {
    const r = { ...out.readiness };
    if (r.tcp) r.tcp = { ...r.tcp, ports: r.tcp.ports.map((p) => (typeof p === 'string' ? portOf(fill(p), p) : p)) };
    if (r.http) r.http = { ...r.http, url: fill(r.http.url) };
    if (r.exec) r.exec = { command: fill(r.exec.command) };
    if (r.log) r.log = { pattern: fill(r.log.pattern) };
    out.readiness = r;
  }
  if (step.when?.condition) out.when = { ...step.when, condition: fillRefs(step.when.condition, refValues(refs, ctx, true), true) };
  return out;
}

/** A readiness port the run filled in: a port number, or a RefError naming what it got. */
function portOf(text: string, written: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new RefError(`readiness port ${written} is ${JSON.stringify(text)}, not a port (1-65535)`);
  return n;
}
