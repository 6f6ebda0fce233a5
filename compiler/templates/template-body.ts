/**
 * Instantiated template bodies: a deep copy of a template's `spec` with string scalars
 * rendered (Handlebars, typed inputs), `<+input>` leaves filled from the reference's
 * templateInputs, positions registered for every copy, and the size of the copy counted
 * against the compile's budget as it is made (templates used many times over, or nested with
 * fan-out, multiply a pipeline; PW5003 past the budget).
 */
import { Codes, LocatedError, type DiagnosticBag, type Location } from '../diagnostics.js';
import { annotations, ROOT, type Annotation } from './annotations.js';
import { matchElement } from './elements.js';
import { ownValue, setOwn } from '../own.js';
import { needsRendering, renderScalar } from './render.js';
import { checkRuntimeInput, isRuntimeInput, parseRuntimeInput } from '../inputs/runtime-inputs.js';
import { jsonSize, type SizeBudget } from '../size-budget.js';
import type { ResolvedTemplate } from '../sources/source.js';
import type { Positions } from '../yaml/index.js';

/**
 * Rendered bodies by template document and typed inputs. A fleet uses the same few templates
 * with the same inputs thousands of times; rendering is a pure function of the two, so a
 * body that rendered cleanly (no failure, nothing injected, no templateInputs) is kept and
 * copied for the next use instead of rendered again (a fifth of a fleet audit). Entries live
 * as long as the template document; at most `MAX_RENDERED` input combinations per template.
 */
const rendered = new WeakMap<object, Map<string, { body: unknown; size: number }>>();
const MAX_RENDERED = 256;

/** Typed input values as a key; non-finite numbers kept apart from null. */
const inputsKey = (typed: Record<string, unknown>) =>
  JSON.stringify(typed, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v));

/**
 * The instance of template `t`'s body `spec` for one reference: rendered with `typed` inputs
 * (when `render`), filled from the reference's templateInputs `ti`, its size counted against
 * `size.budget` (PW5003 at `size.at` past it). `outer` is the provenance of the reference.
 */
export function renderedBody(
  t: ResolvedTemplate,
  spec: unknown,
  typed: Record<string, unknown>,
  ti: unknown,
  outer: Annotation | undefined,
  bag: DiagnosticBag,
  render: boolean,
  context: Record<string, unknown>,
  size: BodyBudget,
  positions: Positions,
): Record<string, unknown> {
  const doc = t.value as object;
  const key = ti === undefined ? inputsKey(typed) : undefined;
  const known = key !== undefined ? rendered.get(doc)?.get(key) : undefined;
  if (known !== undefined) {
    charge(size, known.size);
    return positions.clone(known.body) as Record<string, unknown>;
  }
  const ctx: CloneCtx = {
    render,
    context,
    outer,
    bag,
    file: t.file,
    refName: `${t.ref}@${t.version}`,
    injected: false,
    failed: false,
    size,
    positions,
  };
  const before = size.budget.used;
  const cloned = cloneBody(spec, ctx, ti) as Record<string, unknown>;
  if (key !== undefined && !ctx.injected && !ctx.failed && cloned && typeof cloned === 'object') {
    let byInputs = rendered.get(doc);
    if (!byInputs) rendered.set(doc, (byInputs = new Map<string, { body: unknown; size: number }>()));
    if (byInputs.size < MAX_RENDERED) byInputs.set(key, { body: positions.clone(cloned), size: size.budget.used - before });
  }
  return cloned;
}

/** Counts `bytes` of instantiated bodies; past the budget, expansion stops here (PW5003). */
function charge(size: BodyBudget, bytes: number): void {
  if (!size.budget.add(bytes)) return;
  throw new LocatedError(
    Codes.EXPANSION_TOO_LARGE,
    `templates expand this pipeline past ${size.budget.limit} bytes (a template used too many times over, or nested with too much fan-out)`,
    size.at,
  );
}

interface CloneCtx {
  /** Set when a rendered value injected objects (their provenance is the caller's). */
  injected: boolean;
  /** Set when a scalar failed to render (its diagnostic may have been a duplicate, or dropped). */
  failed: boolean;
  render: boolean;
  context: Record<string, unknown>;
  outer: Annotation | undefined;
  bag: DiagnosticBag;
  file: string;
  refName: string;
  size: BodyBudget;
  positions: Positions;
}

/** The compile's budget for instantiated bodies, and where to report going past it. */
export interface BodyBudget {
  budget: SizeBudget;
  at: Location;
}

/** Where, in the reference's templateInputs, the value for the current node sits. */
interface InputsCursor {
  value: unknown;
  holder?: object | undefined;
  key?: string | number;
}

/**
 * Deep-copies a template body: renders string scalars (when the template declares inputs),
 * fills `<+input>` leaves from the reference's templateInputs at the same path (list
 * elements matched by identifier), splices list values of single-expression items into their
 * list, and registers positions for every copy. Counts the size of the copy as it goes,
 * against the compile's budget (PW5003 at the reference past it).
 */
function cloneBody(
  v: unknown,
  ctx: CloneCtx,
  ti: unknown,
  tiAt: Omit<InputsCursor, 'value'> = {},
  parent?: object,
  key?: string | number,
): unknown {
  if (typeof v === 'string') {
    const out = cloneScalar(v, ctx, ti, tiAt, parent, key);
    // Objects a scalar turned into were counted as they were copied.
    if (out === null || typeof out !== 'object') charge(ctx.size, typeof out === 'string' ? out.length + 2 : 4);
    return out;
  }
  if (v === null || typeof v !== 'object') {
    charge(ctx.size, 4);
    return v;
  }
  if (Array.isArray(v)) {
    charge(ctx.size, 2 + v.length);
    const arr: unknown[] = [];
    const tiArr = Array.isArray(ti) ? ti : undefined;
    v.forEach((item, i) => {
      const tiItem = tiArr ? matchElement(tiArr, item, i) : undefined;
      const c = cloneBody(item, ctx, tiItem, { holder: tiArr, key: tiArr ? tiArr.indexOf(tiItem) : i }, v, i);
      if (typeof item === 'string' && Array.isArray(c)) arr.push(...(c as unknown[]));
      else arr.push(c);
    });
    ctx.positions.copy(v, arr);
    return arr;
  }
  const src = v as Record<string, unknown>;
  const obj: Record<string, unknown> = {};
  const tiObj = ti && typeof ti === 'object' && !Array.isArray(ti) ? (ti as Record<string, unknown>) : undefined;
  charge(ctx.size, 2);
  for (const [k, child] of Object.entries(src)) {
    charge(ctx.size, k.length + 3);
    setOwn(obj, k, cloneBody(child, ctx, tiObj ? ownValue(tiObj, k) : undefined, { holder: tiObj, key: k }, src, k));
  }
  ctx.positions.copy(src, obj);
  return obj;
}

/** A string scalar of a template body: rendered, and filled from templateInputs when it is `<+input>`. */
function cloneScalar(
  v: string,
  ctx: CloneCtx,
  ti: unknown,
  tiAt: Omit<InputsCursor, 'value'>,
  parent?: object,
  key?: string | number,
): unknown {
  const render = ctx.render && needsRendering(v);
  // Most scalars have nothing to render and no templateInputs to take: no location needed.
  if (!render && (ti === undefined || ti === null)) return v;
  let out: unknown = v;
  const at = () =>
    parent ? ctx.positions.at(parent, key!, { file: ctx.file, line: 1, column: 1 }) : { file: ctx.file, line: 1, column: 1 };
  if (render) {
    out = ctx.bag.guard(() => renderScalar(v, ctx.context, at));
    if (out === undefined) {
      ctx.failed = true;
      return v;
    }
    if (out !== null && typeof out === 'object') return markInjected(out, ctx);
  }
  if (isRuntimeInput(out) && ti !== undefined && ti !== null)
    return fillFromTemplateInputs(out as string, { value: ti, ...tiAt }, ctx, at());
  return out;
}

/** A copy of a value given by the caller (counted first: it may be large, and copied many times). */
function copyGiven(value: object, ctx: CloneCtx): unknown {
  charge(ctx.size, jsonSize(value, ctx.size.budget.left));
  return ctx.positions.clone(value);
}

/**
 * A template's `<+input>` leaf with a value in templateInputs: the value, checked against the
 * leaf's allowedValues and regex. A value that is itself `<+input>` leaves the input open for
 * the pipeline (taking the reference's modifiers when it has any).
 */
function fillFromTemplateInputs(leaf: string, given: InputsCursor, ctx: CloneCtx, leafAt: Location): unknown {
  if (isRuntimeInput(given.value)) return String(given.value).length > '<+input>'.length ? given.value : leaf;
  const at = given.holder ? ctx.positions.at(given.holder, given.key!, leafAt) : leafAt;
  let input;
  try {
    input = parseRuntimeInput(leaf);
  } catch (e) {
    ctx.bag.error(Codes.EXPRESSION_SYNTAX, `malformed runtime input '${leaf}' in ${ctx.refName}: ${(e as Error).message}`, leafAt);
    return leaf;
  }
  const problem = checkRuntimeInput(input, given.value);
  // A refused regex is the template's problem: located at its leaf.
  if (problem)
    ctx.bag.error(
      problem.code,
      `templateInputs for ${ctx.refName}: ${problem.message}`,
      problem.code === Codes.REGEX_UNSUPPORTED ? leafAt : at,
    );
  return given.value !== null && typeof given.value === 'object' ? copyGiven(given.value, ctx) : given.value;
}

/** Values injected through inputs (steps given by the caller) keep the caller's provenance. */
function markInjected(value: object, ctx: CloneCtx): unknown {
  ctx.injected = true;
  const copy = copyGiven(value, ctx) as object;
  const mark = ctx.outer ?? ROOT;
  const items: unknown[] = Array.isArray(copy) ? copy : [copy];
  for (const item of items) if (item && typeof item === 'object') annotations.set(item, mark);
  return copy;
}
