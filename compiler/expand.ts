/**
 * Template expansion. Every node written `{step|stepGroup|stage|pipeline: {template: ...}}`
 * is replaced by an instance of the referenced template version. References are resolved
 * level by level: all references of one nesting level go to the sources in one batch, so a
 * remote source costs one round trip per level.
 *
 * Each instantiated body is annotated with its template chain (outermost first) and the
 * location of the outermost reference in the pipeline file: the provenance every plan step
 * carries.
 */
import type { TemplateLink } from '../schemas/plan.js';
import { Codes, type DiagnosticBag, type Location } from './diagnostics.js';
import { resolveTypedInputs, type InputDecl } from './inputs.js';
import { renderScalar, needsRendering } from './render.js';
import { checkRuntimeInput, isRuntimeInput, parseRuntimeInput } from './runtime-inputs.js';
import { resolveInOrder, type ResolvedTemplate, type ResolveOutcome, type ResolveRequest, type TemplateSource } from './source.js';
import { selectorText } from './versions.js';
import { sourcePositions as positions } from './yaml-reader.js';
import { matchElement } from './elements.js';
import { ownValue, setOwn } from './own.js';

/** How deep templates may nest (a template holding a template holding ...). */
export const MAX_TEMPLATE_DEPTH = 10;

/** Provenance of an instantiated body. */
export interface Annotation {
  /** Template chain, outermost first. The last link's line is the body's line in its file. */
  links: TemplateLink[];
  /** Where the outermost reference is written in the pipeline file. */
  site: Location;
}

const ANNOTATION = Symbol('annotation');

/**
 * Annotations by body object, looked up while flattening; kept as hidden properties of the
 * bodies (as `Positions` keeps positions, and for the same reason: weak tables are costly to
 * the garbage collector at fleet scale).
 */
export const annotations = {
  get(obj: unknown): Annotation | undefined {
    return obj !== null && typeof obj === 'object' ? (obj as Record<symbol, Annotation | undefined>)[ANNOTATION] : undefined;
  },
  set(obj: object, a: Annotation): void {
    Object.defineProperty(obj, ANNOTATION, { value: a, writable: true, configurable: true });
  },
};

const TEMPLATE_TYPE: Record<string, string> = { step: 'Step', stepGroup: 'StepGroup', stage: 'Stage', pipeline: 'Pipeline' };

interface Pending {
  holder: Record<string, unknown>;
  key: 'step' | 'stepGroup' | 'stage' | 'pipeline';
  node: Record<string, unknown>;
  ref: Record<string, unknown>;
  parent: Annotation | undefined;
  /** `ref@version` of every template above this reference, for cycle detection. */
  ancestry: string[];
}

export interface ExpandResult {
  /** Every template version used, keyed `ref@version`. */
  used: Map<string, ResolvedTemplate>;
}

/**
 * Expands every template reference below `root` in place. Problems go to `bag`; a reference
 * that cannot be expanded is replaced by `null` so later phases skip it.
 */
export interface ExpandOptions {
  /** Today, for sunset dates (default: now). */
  now?: Date;
  /** Use versions past their sunset date with a warning instead of an error. */
  allowSunset?: boolean;
}

export async function expandTemplates(
  root: Record<string, unknown>,
  file: string,
  sources: TemplateSource[],
  bag: DiagnosticBag,
  options: ExpandOptions = {},
): Promise<ExpandResult> {
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  const used = new Map<string, ResolvedTemplate>();
  const reported = new Set<string>();
  let pending = findReferences(root, undefined, []);
  while (pending.length > 0 && !bag.full) {
    const outcomes = await resolveBatch(pending, sources, file);
    const next: Pending[] = [];
    for (const p of pending) {
      const refText = String(p.ref['templateRef']);
      const sel = selectorText(p.ref['versionLabel']);
      const outcome = outcomes.get(`${refText}\u0000${sel}`)!;
      const refAt = positions.at(p.ref, 'templateRef', positions.of(p.ref, { file, line: 1, column: 1 }));
      if (!outcome.ok) {
        const code = outcome.code === 'not-found' ? Codes.TEMPLATE_NOT_FOUND : outcome.code === 'no-version' ? Codes.NO_MATCHING_VERSION : Codes.TEMPLATE_SOURCE;
        const at = outcome.code === 'no-version' ? positions.at(p.ref, 'versionLabel', refAt) : refAt;
        const versions = outcome.versions?.length ? ` (available: ${outcome.versions.join(', ')})` : '';
        bag.error(code, `${outcome.message}${versions}`, at);
        p.holder[p.key] = null;
        continue;
      }
      const t = outcome.template;
      const id = `${t.ref}@${t.version}`;
      if (p.ancestry.includes(id)) {
        const start = p.ancestry.indexOf(id);
        bag.error(Codes.TEMPLATE_CYCLE, `template cycle: ${[...p.ancestry.slice(start), id].join(' → ')}`, refAt);
        p.holder[p.key] = null;
        continue;
      }
      if (p.ancestry.length >= MAX_TEMPLATE_DEPTH) {
        bag.error(Codes.TEMPLATE_TOO_DEEP, `templates nest deeper than ${MAX_TEMPLATE_DEPTH}: ${[...p.ancestry, id].join(' → ')}`, refAt);
        p.holder[p.key] = null;
        continue;
      }
      if (!reported.has(id) && t.diagnostics?.length) {
        reported.add(id);
        for (const d of t.diagnostics) bag.add(d.code as never, d.severity, d.message, d);
      }
      if (t.deprecation) {
        const sunset = t.deprecation.sunset;
        const past = sunset !== undefined && sunset.slice(0, 10) < today;
        if (past && !options.allowSunset) {
          bag.error(Codes.TEMPLATE_SUNSET, `${id} is past its sunset date ${sunset}: ${t.deprecation.message} (--allow-sunset to use it anyway)`, refAt);
        } else {
          bag.warn(Codes.TEMPLATE_DEPRECATED, `${id} is deprecated${sunset ? ` (sunset ${sunset})` : ''}: ${t.deprecation.message}`, refAt);
        }
      }
      if (t.yanked) bag.warn(Codes.TEMPLATE_YANKED, `${id} is yanked by its publisher; it is used only because it is pinned exactly: move to a live version`, refAt);
      if (t.diagnostics?.some((d) => d.severity === 'error')) {
        p.holder[p.key] = null;
        continue;
      }
      const body = bag.guard(() => instantiate(p, t, refAt, bag));
      if (!body) {
        p.holder[p.key] = null;
        continue;
      }
      used.set(id, t);
      p.holder[p.key] = body.value;
      next.push(...findReferences(body.value, body.annotation, [...p.ancestry, id]));
    }
    pending = next;
  }
  return { used };
}

/** Resolves the distinct (ref, selector) pairs of one level: one batch per source. */
async function resolveBatch(pending: Pending[], sources: TemplateSource[], file: string): Promise<Map<string, ResolveOutcome>> {
  const requests = new Map<string, ResolveRequest>();
  for (const p of pending) {
    const ref = String(p.ref['templateRef']);
    const selector = selectorText(p.ref['versionLabel']);
    const key = `${ref}\u0000${selector}`;
    if (!requests.has(key)) requests.set(key, { ref, selector, at: positions.of(p.ref, { file, line: 1, column: 1 }) });
  }
  const keys = [...requests.keys()];
  const outcomes = await resolveInOrder(sources, [...requests.values()]);
  return new Map(keys.map((k, i) => [k, outcomes[i]!]));
}

/** Finds the template references below `value` (not inside other references). */
function findReferences(value: unknown, ann: Annotation | undefined, ancestry: string[]): Pending[] {
  const out: Pending[] = [];
  const walk = (v: unknown, a: Annotation | undefined) => {
    if (v === null || typeof v !== 'object') return;
    const own = annotations.get(v);
    if (own) a = own;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, a);
      return;
    }
    const obj = v as Record<string, unknown>;
    for (const key of ['pipeline', 'stage', 'stepGroup', 'step'] as const) {
      const node = obj[key];
      if (node && typeof node === 'object' && !Array.isArray(node)) {
        const ref = (node as Record<string, unknown>)['template'];
        if (ref && typeof ref === 'object' && !Array.isArray(ref) && typeof (ref as Record<string, unknown>)['templateRef'] === 'string') {
          out.push({ holder: obj, key, node: node as Record<string, unknown>, ref: ref as Record<string, unknown>, parent: annotations.get(node) ?? a, ancestry });
          continue;
        }
      }
    }
    for (const [k, child] of Object.entries(obj)) {
      if (child && typeof child === 'object' && !(k in TEMPLATE_TYPE && hasTemplate(child))) walk(child, a);
    }
  };
  walk(value, ann);
  return out;
}

function hasTemplate(node: unknown): boolean {
  return !!node && typeof node === 'object' && !Array.isArray(node) && 'template' in (node as object);
}

/** Builds the instance of template `t` for the reference `p`. */
function instantiate(
  p: Pending,
  t: ResolvedTemplate,
  refAt: Location,
  bag: DiagnosticBag,
): { value: Record<string, unknown>; annotation: Annotation } | undefined {
  const doc = t.value as { template: Record<string, unknown> };
  const tpl = doc.template;
  const expected = TEMPLATE_TYPE[p.key];
  if (tpl['type'] !== expected) {
    bag.error(Codes.TEMPLATE_TYPE, `${t.ref}@${t.version} is a ${String(tpl['type'])} template, used here as a ${expected}`, refAt);
    return undefined;
  }
  const decls = (tpl['inputs'] ?? undefined) as Record<string, InputDecl> | undefined;
  const typed = resolveTypedInputs(decls, p.ref['inputs'], p.ref, refAt, `${t.ref}@${t.version}`, bag);
  if (!typed) return undefined;
  const spec = tpl['spec'];
  const specAt = positions.of(spec, { file: t.file, line: 1, column: 1 });
  const link: TemplateLink = { ref: t.ref, version: t.version, digest: t.digest, file: t.file, line: specAt.line };
  const parentLinks = p.parent ? p.parent.links.slice() : [];
  if (parentLinks.length > 0) parentLinks[parentLinks.length - 1] = { ...parentLinks[parentLinks.length - 1]!, line: refAt.line };
  const here = positions.of(p.node, refAt);
  const annotation: Annotation = { links: [...parentLinks, link], site: p.parent ? p.parent.site : here };
  const context = { inputs: typed };
  const render = decls !== undefined && decls !== null;
  const cloned = renderedBody(t, spec, typed, p, bag, render, context);
  if (!cloned || typeof cloned !== 'object' || Array.isArray(cloned)) return undefined;
  // The reference's own fields (identifier, name, when, timeout, ...) win over the body's.
  const value: Record<string, unknown> = { ...cloned };
  for (const [k, v] of Object.entries(p.node)) if (k !== 'template') setOwn(value, k, v);
  if (value['name'] === undefined) value['name'] = value['identifier'];
  positions.copy(cloned, value);
  annotations.set(value, annotation);
  return { value, annotation };
}

/**
 * Rendered bodies by template document and typed inputs. A fleet uses the same few templates
 * with the same inputs thousands of times; rendering is a pure function of the two, so a
 * body that rendered cleanly (no failure, nothing injected, no templateInputs) is kept and
 * copied for the next use instead of rendered again (a fifth of a fleet audit). Entries live
 * as long as the template document; at most `MAX_RENDERED` input combinations per template.
 */
const rendered = new WeakMap<object, Map<string, unknown>>();
const MAX_RENDERED = 256;

/** Typed input values as a key; non-finite numbers kept apart from null. */
const inputsKey = (typed: Record<string, unknown>) => JSON.stringify(typed, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v));

function renderedBody(t: ResolvedTemplate, spec: unknown, typed: Record<string, unknown>, p: Pending, bag: DiagnosticBag, render: boolean, context: Record<string, unknown>): Record<string, unknown> {
  const ti = p.ref['templateInputs'];
  const doc = t.value as object;
  const key = ti === undefined ? inputsKey(typed) : undefined;
  const known = key !== undefined ? rendered.get(doc)?.get(key) : undefined;
  if (known !== undefined) return structuredCloneWithPositions(known) as Record<string, unknown>;
  const ctx: CloneCtx = { render, context, outer: p.parent, bag, file: t.file, refName: `${t.ref}@${t.version}`, injected: false, failed: false };
  const cloned = cloneBody(spec, ctx, ti) as Record<string, unknown>;
  if (key !== undefined && !ctx.injected && !ctx.failed && cloned && typeof cloned === 'object') {
    let byInputs = rendered.get(doc);
    if (!byInputs) rendered.set(doc, (byInputs = new Map()));
    if (byInputs.size < MAX_RENDERED) byInputs.set(key, structuredCloneWithPositions(cloned));
  }
  return cloned;
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
}

/** Where, in the reference's templateInputs, the value for the current node sits. */
interface InputsCursor {
  value: unknown;
  holder?: object;
  key?: string | number;
}

/**
 * Deep-copies a template body: renders string scalars (when the template declares inputs),
 * fills `<+input>` leaves from the reference's templateInputs at the same path (list
 * elements matched by identifier), splices list values of single-expression items into their
 * list, and registers positions for every copy.
 */
function cloneBody(v: unknown, ctx: CloneCtx, ti: unknown, tiAt: Omit<InputsCursor, 'value'> = {}, parent?: object, key?: string | number): unknown {
  if (typeof v === 'string') {
    const render = ctx.render && needsRendering(v);
    // Most scalars have nothing to render and no templateInputs to take: no location needed.
    if (!render && (ti === undefined || ti === null)) return v;
    let out: unknown = v;
    const at = () => (parent ? positions.at(parent, key!, { file: ctx.file, line: 1, column: 1 }) : { file: ctx.file, line: 1, column: 1 });
    if (render) {
      out = ctx.bag.guard(() => renderScalar(v, ctx.context, at));
      if (out === undefined) {
        ctx.failed = true;
        return v;
      }
      if (out !== null && typeof out === 'object') return markInjected(out, ctx);
    }
    if (isRuntimeInput(out) && ti !== undefined && ti !== null) return fillFromTemplateInputs(out as string, { value: ti, ...tiAt }, ctx, at());
    return out;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const arr: unknown[] = [];
    const tiArr = Array.isArray(ti) ? ti : undefined;
    v.forEach((item, i) => {
      const tiItem = tiArr ? matchElement(tiArr, item, i) : undefined;
      const c = cloneBody(item, ctx, tiItem, { holder: tiArr, key: tiArr ? tiArr.indexOf(tiItem) : i }, v, i);
      if (typeof item === 'string' && Array.isArray(c)) arr.push(...(c as unknown[]));
      else arr.push(c);
    });
    positions.copy(v, arr);
    return arr;
  }
  const src = v as Record<string, unknown>;
  const obj: Record<string, unknown> = {};
  const tiObj = ti && typeof ti === 'object' && !Array.isArray(ti) ? (ti as Record<string, unknown>) : undefined;
  for (const [k, child] of Object.entries(src)) {
    setOwn(obj, k, cloneBody(child, ctx, tiObj ? ownValue(tiObj, k) : undefined, { holder: tiObj, key: k }, src, k));
  }
  positions.copy(src, obj);
  return obj;
}

/**
 * A template's `<+input>` leaf with a value in templateInputs: the value, checked against the
 * leaf's allowedValues and regex. A value that is itself `<+input>` leaves the input open for
 * the pipeline (taking the reference's modifiers when it has any).
 */
function fillFromTemplateInputs(leaf: string, given: InputsCursor, ctx: CloneCtx, leafAt: Location): unknown {
  if (isRuntimeInput(given.value)) return String(given.value).length > '<+input>'.length ? given.value : leaf;
  const at = given.holder ? positions.at(given.holder, given.key!, leafAt) : leafAt;
  let input;
  try {
    input = parseRuntimeInput(leaf);
  } catch (e) {
    ctx.bag.error(Codes.EXPRESSION_SYNTAX, `malformed runtime input '${leaf}' in ${ctx.refName}: ${(e as Error).message}`, leafAt);
    return leaf;
  }
  const problem = checkRuntimeInput(input, given.value);
  // A refused regex is the template's problem: located at its leaf.
  if (problem) ctx.bag.error(problem.code, `templateInputs for ${ctx.refName}: ${problem.message}`, problem.code === Codes.REGEX_UNSUPPORTED ? leafAt : at);
  return given.value !== null && typeof given.value === 'object' ? structuredCloneWithPositions(given.value) : given.value;
}

/** Values injected through inputs (steps given by the caller) keep the caller's provenance. */
function markInjected(value: object, ctx: CloneCtx): unknown {
  ctx.injected = true;
  const copy = structuredCloneWithPositions(value) as object;
  const mark = ctx.outer ?? ROOT;
  for (const item of Array.isArray(copy) ? copy : [copy]) if (item && typeof item === 'object') annotations.set(item, mark);
  return copy;
}

/** Marks content written in the pipeline itself (no template chain). */
const ROOT: Annotation = { links: [], site: { file: '', line: 0, column: 0 } };

/** True for the marker of content written directly in the pipeline. */
export function isRootAnnotation(a: Annotation | undefined): boolean {
  return a === ROOT;
}

function structuredCloneWithPositions(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const out: unknown = Array.isArray(v) ? v.map(structuredCloneWithPositions) : Object.fromEntries(Object.entries(v).map(([k, c]) => [k, structuredCloneWithPositions(c)]));
  positions.copy(v, out as object);
  return out;
}
