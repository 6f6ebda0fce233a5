/**
 * Strategies only a run can expand: a step whose matrix axes, parallelism or repeat items
 * are expressions over earlier steps' outputs (`<+<+steps.list.output.outputVariables.T>.split(",")>`)
 * is expanded when it is reached, its needs settled, into the copies Harness would make
 * (`ID_0`, `ID_1`, ... named and ordered as the compiler names static copies). Each copy has
 * its references filled, its `<+matrix.*>`, `<+strategy.*>` and `<+repeat.item>` included.
 */
import type { PlanStage, PlanStep } from '../schemas/index.js';
import { ConditionError, evaluateCondition, evaluateValue } from '../schemas/index.js';
import { countCopies, itemCopies, matrixCopies, type StrategyCopy } from '../schemas/index.js';
import { COPY_VALUE, fillRefs, refValues, resolveStep, USES_COPY_VALUE, type RefContext } from './refs.js';

/** Most copies a run-time strategy may make (as at compile time). */
export const MAX_RUN_COPIES = 256;

export class StrategyError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** The strategy unit a step belongs to: its step group (whose steps are copied together), or itself. */
export const unitOf = (step: PlanStep): string => step.strategyOf ?? step.id;

/**
 * The copies a run-time `strategy` makes, evaluated with what the run knows now (the unit's
 * first step's references), and how many may run at once. Throws StrategyError (or RefError)
 * with a message for the user.
 */
export function strategyCopies(
  step: Pick<PlanStep, 'strategy' | 'refs'>,
  ctx: RefContext,
): { copies: StrategyCopy[]; maxConcurrency?: number } {
  const s = step.strategy ?? {};
  // Strict: an output that never came (its step skipped or failed) is no list of targets.
  const values = refValues(step.refs ?? [], ctx, true);
  const value = (v: unknown, what: string): unknown => evaluate(v, values, what);
  let copies: StrategyCopy[];
  if (s['matrix'] !== undefined) {
    // Each field is evaluated once: a value the run filled in is data, never evaluated again.
    const m = isObj(s['matrix']) ? s['matrix'] : value(s['matrix'], 'the matrix');
    if (!isObj(m)) throw new StrategyError(`the matrix is ${describe(m)}, not a mapping of axes`);
    const written = isObj(s['matrix']);
    const axes: [string, unknown[]][] = [];
    let exclude: unknown[] = [];
    for (const [k, raw] of Object.entries(m)) {
      if (k === 'maxConcurrency' || k === 'nodeName') continue;
      const v = written ? value(raw, `matrix axis '${k}'`) : raw;
      if (k === 'exclude') {
        if (v !== null && v !== undefined) exclude = list(v, 'exclude');
        continue;
      }
      axes.push([k, Array.isArray(v) ? v : list(v, `matrix axis '${k}'`)]);
    }
    copies = matrixCopies(axes, exclude);
  } else if (s['parallelism'] !== undefined) {
    copies = countCopies(count(value(s['parallelism'], 'parallelism'), 'parallelism'));
  } else if (isObj(s['repeat'])) {
    const r = s['repeat'];
    copies =
      r['items'] !== undefined
        ? itemCopies(list(value(r['items'], 'repeat.items'), 'repeat.items'))
        : countCopies(count(value(r['times'], 'repeat.times'), 'repeat.times'));
  } else throw new StrategyError('this strategy form cannot be expanded by the run');
  if (copies.length > MAX_RUN_COPIES) throw new StrategyError(`the strategy makes ${copies.length} copies, more than ${MAX_RUN_COPIES}`);
  const conc =
    s['maxConcurrency'] ??
    (isObj(s['matrix']) ? s['matrix']['maxConcurrency'] : undefined) ??
    (isObj(s['repeat']) ? s['repeat']['maxConcurrency'] : undefined);
  const maxConcurrency = conc === undefined ? undefined : count(value(conc, 'maxConcurrency'), 'maxConcurrency');
  if (maxConcurrency === 0) throw new StrategyError('maxConcurrency is 0: no copy could ever run');
  return { copies, ...(maxConcurrency !== undefined ? { maxConcurrency } : {}) };
}

/**
 * Copy `c` of one step of `unit` (the step itself, or a step of the copied group): ids under
 * the unit get the copy's suffix (`deploy_1`, `s.g_1.test`), and so do needs and output
 * references between the unit's steps; the copy's own values (`<+matrix.*>`, `<+strategy.*>`,
 * `<+repeat.item>`) are filled in now, the rest when it starts.
 */
export function memberCopy(member: PlanStep, unit: string, c: StrategyCopy, members: ReadonlySet<string>, ctx: RefContext): PlanStep {
  const rename = (id: string): string => (!members.has(id) ? id : id === unit ? unit + c.suffix : unit + c.suffix + id.slice(unit.length));
  const { strategy, strategyOf, refs = [], ...rest } = member;
  // A strategy of the member's own (a step in a copied stage) stays, under its new name.
  const mine = member.id === unit || strategyOf === unit;
  const kept =
    !mine && strategy
      ? {
          strategy,
          ...(strategyOf
            ? { strategyOf: strategyOf.startsWith(`${unit}.`) ? unit + c.suffix + strategyOf.slice(unit.length) : strategyOf }
            : {}),
        }
      : {};
  const facts = factsOf(c);
  // The copy's values go in now; an inner strategy's own (`<+matrix.x>` it defines) later.
  // A member with a strategy of its own keeps `<+strategy.*>`, `<+repeat.item>` and the
  // matrix axes it defines for its own copies; only the outer copy's other axes go in now.
  const inner = !mine && strategy && isObj(strategy['matrix']) ? new Set(Object.keys(strategy['matrix'])) : new Set<string>();
  const outerOnly = (body: string) =>
    !strategy || mine || (/^(strategy\.)?matrix\./.test(body) && !inner.has(body.replace(/^(strategy\.)?matrix\./, '')));
  const own = refs.filter((r) => {
    const body = r.expr.slice(2, -1).trim();
    return r.kind === 'runtime' && COPY_VALUE.test(r.expr) && (mine || (facts[body] !== undefined && outerOnly(body)));
  });
  const later = refs
    .filter((r) => !own.includes(r))
    .map((r) => (r.kind === 'output' && r.step && members.has(r.step) ? { ...r, step: rename(r.step) } : r));
  const base: PlanStep = {
    ...rest,
    ...kept,
    id: rename(member.id),
    name: member.id === unit ? member.name + c.suffix : member.name,
    needs: member.needs.map(rename),
    ...(mine ? { matrix: copyRecord(c) } : {}),
    ...(own.length ? { refs: own } : {}),
  };
  const filled = resolveStep(base, { ...ctx, facts: { ...ctx.facts, ...facts } });
  const { refs: _r, ...body } = filled;
  void _r;
  return later.length ? { ...body, refs: later } : body;
}

function copyRecord(c: StrategyCopy): Record<string, unknown> {
  return {
    ...(c.values.matrix ?? {}),
    ...('item' in c.values ? { item: c.values.item } : {}),
    iteration: c.values.iteration,
    iterations: c.values.iterations,
  };
}

/** What a copy's expressions see, by expression body. */
function factsOf(c: StrategyCopy): Record<string, string> {
  const facts: Record<string, string> = {
    'strategy.iteration': String(c.values.iteration),
    'strategy.iterations': String(c.values.iterations),
    'step.identifierPostFix': c.suffix,
    'stepGroup.identifierPostFix': c.suffix,
    'stage.identifierPostFix': c.suffix,
    'strategy.identifierPostFix': c.suffix,
  };
  for (const [k, v] of Object.entries(c.values.matrix ?? {})) {
    facts[`matrix.${k}`] = text(v);
    facts[`strategy.matrix.${k}`] = text(v);
  }
  if ('item' in c.values) facts['repeat.item'] = facts['strategy.repeat.item'] = text(c.values.item);
  return facts;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The value of a strategy field: lists and numbers as written; an expression whose references
 * are now known is evaluated (`<+"a,b".split(",")>` is a list); a JSON list text is a list.
 */
function evaluate(v: unknown, values: [string, string][], what: string): unknown {
  if (Array.isArray(v)) return v.map((x) => evaluate(x, values, what));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluate(x, values, what)]));
  if (typeof v !== 'string' || !v.includes('<+')) return v;
  const t = v.trim();
  // A reference standing alone is its value; inside an expression it is a quoted literal.
  const alone = values.find(([e]) => e === t);
  if (alone) return parsed(alone[1]);
  const inner = t.startsWith('<+') && t.endsWith('>') ? t.slice(2, -1) : t;
  // Unknown references are found before values go in: a value may hold `<+` as data.
  if (
    fillRefs(
      inner,
      values.map(([e]) => [e, '']),
    ).includes('<+')
  )
    throw new StrategyError(`${what} holds a reference the run cannot resolve: ${v}`);
  const body = fillRefs(inner, values, true);
  try {
    return evaluateValue(body);
  } catch (e) {
    throw new StrategyError(`${what}: ${v}: ${e instanceof ConditionError ? e.message : String(e)}`);
  }
}

/** A step output standing for a list is JSON text (`["a","b"]`); anything else is text. */
function parsed(s: string): unknown {
  const t = s.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return s;
    }
  }
  return s;
}

function list(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new StrategyError(`${what} is ${describe(v)}, not a list (split text into one: <+<+...>.split(",")>)`);
}

function count(v: unknown, what: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new StrategyError(`${what} is ${describe(v)}, not a whole number`);
  return n;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Whether a run-time strategy's step runs, when its condition does not depend on the copy:
 * decided before any copy is made (a skipped step makes none; the strategy may use the very
 * outputs the condition checks for). Undefined when the condition uses `<+matrix.*>` & co.
 */
export function conditionBeforeCopies(step: PlanStep, ctx: RefContext): boolean | { error: string } | undefined {
  const condition = step.when?.condition;
  if (condition === undefined || USES_COPY_VALUE.test(condition)) return undefined;
  try {
    return evaluateCondition(fillRefs(condition, refValues(step.refs ?? [], ctx, true), true));
  } catch (e) {
    return { error: `condition ${condition}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The strategy a copy belongs to: copies of one strategy share the node they were made from,
 * so their origin (where written, through which templates) and their parent are the same.
 */
export function copyGroup(step: PlanStep): string {
  let key = groups.get(step);
  // The id's parent (`s.g_1` of `s.g_1.t_0`): copies inside different copies of a group are
  // different strategies' copies, though written in one place.
  if (key === undefined) groups.set(step, (key = `${step.id.slice(0, step.id.lastIndexOf('.'))}\u0000${JSON.stringify(step.origin)}`));
  return key;
}

/** Keys by step, worked out once (the scheduler asks at every pass over a stage's steps). */
const groups = new WeakMap<PlanStep, string>();

/**
 * The copies of a stage whose strategy only the run knows, made when the stage is reached:
 * `deploy_0`, `deploy_1`, ..., each with copies of the stage's steps (`deploy_0.r`), the
 * copy's values filled in its condition and steps. Throws StrategyError (or RefError).
 */
export function stageCopies(
  stage: PlanStage,
  steps: PlanStep[],
  ctx: RefContext,
): { copies: { stage: PlanStage; steps: PlanStep[] }[]; maxConcurrency?: number } {
  const made = strategyCopies(stage, ctx);
  const ids = new Set(steps.map((s) => s.id));
  const copies = made.copies.map((c) => {
    const id = stage.id + c.suffix;
    const { strategy: _s, refs = [], ...rest } = stage;
    void _s;
    const own = refs.filter((r) => r.kind === 'runtime' && COPY_VALUE.test(r.expr));
    const later = refs.filter((r) => !own.includes(r));
    const facts = factsOf(c);
    const condition = stage.when?.condition;
    const copy: PlanStage = { ...rest, id, name: stage.name + c.suffix, needs: stage.needs, ...(later.length ? { refs: later } : {}) };
    if (condition !== undefined)
      copy.when = {
        ...stage.when,
        condition: fillRefs(
          condition,
          own.map((r) => [r.expr, facts[r.expr.slice(2, -1).trim()] ?? '']),
          true,
        ),
      };
    // Every step id begins with the stage id: the stage is the unit its steps are copied under.
    return { stage: copy, steps: steps.map((s) => ({ ...memberCopy(s, stage.id, c, ids, ctx), stage: id })) };
  });
  return { copies, ...(made.maxConcurrency !== undefined ? { maxConcurrency: made.maxConcurrency } : {}) };
}
