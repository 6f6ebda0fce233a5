/**
 * Template expansion. Every node written `{step|stepGroup|stage|pipeline: {template: ...}}`
 * is replaced by an instance of the referenced template version. References are resolved
 * level by level: all references of one nesting level go to the sources in one batch, so a
 * remote source costs one round trip per level.
 *
 * Each instantiated body (`template-body.ts`) is annotated with its template chain
 * (outermost first) and the location of the outermost reference in the pipeline file: the
 * provenance every plan step carries (`annotations.ts`). All bodies of one pipeline together
 * are bounded in size (PW5003).
 */
import type { TemplateLink } from '../../schemas/index.js';
import { Codes, type DiagnosticBag, type Location } from '../diagnostics.js';
import { resolveTypedInputs, type InputDecl } from '../inputs/inputs.js';
import { resolveInOrder, type ResolvedTemplate, type ResolveOutcome, type ResolveRequest, type TemplateSource } from '../sources/source.js';
import { selectorText } from '../sources/versions.js';
import type { Positions } from '../yaml/index.js';
import { setOwn } from '../own.js';
import { MAX_EXPANDED_BYTES, SizeBudget } from '../size-budget.js';
import { annotations, type Annotation } from './annotations.js';
import { renderedBody } from './template-body.js';

/** How deep templates may nest (a template holding a template holding ...). */
export const MAX_TEMPLATE_DEPTH = 10;

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
  /** References no source had, kept as placeholders (`placeholders` option). */
  placeholders: number;
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
  /** Bytes all instantiated bodies together may come to (default 16 MB; PW5003 past it). */
  maxBytes?: number;
  /**
   * A template no source has becomes a placeholder (warning PW4001)
   * instead of an error: `compile --partial` over pipelines whose templates are elsewhere.
   */
  placeholders?: boolean;
  /** What the placeholder's warning says after the source's message (default: "kept as a placeholder (--partial)"). */
  placeholderNote?: string;
}

export async function expandTemplates(
  root: Record<string, unknown>,
  file: string,
  sources: TemplateSource[],
  bag: DiagnosticBag,
  positions: Positions,
  options: ExpandOptions = {},
): Promise<ExpandResult> {
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  const used = new Map<string, ResolvedTemplate>();
  const reported = new Set<string>();
  const budget = new SizeBudget(options.maxBytes ?? MAX_EXPANDED_BYTES);
  let placeholders = 0;
  let pending = findReferences(root, undefined, []);
  while (pending.length > 0 && !bag.full && !budget.exceeded) {
    const outcomes = await resolveBatch(pending, sources, file, positions);
    const next: Pending[] = [];
    for (const p of pending) {
      if (budget.exceeded) break;
      const refText = String(p.ref['templateRef']);
      const sel = selectorText(p.ref['versionLabel']);
      const outcome = outcomes.get(`${refText}\u0000${sel}`)!;
      const refAt = positions.at(p.ref, 'templateRef', positions.of(p.ref, { file, line: 1, column: 1 }));
      if (!outcome.ok && outcome.code === 'not-found' && options.placeholders) {
        bag.warn(Codes.TEMPLATE_NOT_FOUND, `${outcome.message}: ${options.placeholderNote ?? 'kept as a placeholder (--partial)'}`, refAt);
        p.holder[p.key] = placeholder(p, refText, sel, positions);
        placeholders++;
        continue;
      }
      if (!outcome.ok) {
        const code =
          outcome.code === 'not-found'
            ? Codes.TEMPLATE_NOT_FOUND
            : outcome.code === 'no-version'
              ? Codes.NO_MATCHING_VERSION
              : Codes.TEMPLATE_SOURCE;
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
      if (!reportVersion(t, refAt, bag, reported, today, !!options.allowSunset)) {
        p.holder[p.key] = null;
        continue;
      }
      const body = bag.guard(() => instantiate(p, t, refAt, bag, budget, positions));
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
  return { used, placeholders };
}

/**
 * What using version `t` at `refAt` says: the template's own problems (once per version),
 * deprecation, sunset, yank. False when it may not be used (its file has errors).
 */
export function reportVersion(
  t: ResolvedTemplate,
  refAt: Location,
  bag: DiagnosticBag,
  reported: Set<string>,
  today: string,
  allowSunset: boolean,
): boolean {
  const id = `${t.ref}@${t.version}`;
  if (!reported.has(id) && t.diagnostics?.length) {
    reported.add(id);
    for (const d of t.diagnostics) bag.add(d.code, d.severity, d.message, d);
  }
  if (t.deprecation) {
    const sunset = t.deprecation.sunset;
    const past = sunset !== undefined && sunset.slice(0, 10) < today;
    if (past && !allowSunset) {
      bag.error(
        Codes.TEMPLATE_SUNSET,
        `${id} is past its sunset date ${sunset}: ${t.deprecation.message} (--allow-sunset to use it anyway)`,
        refAt,
      );
    } else {
      const when = past ? ` and past its sunset date ${sunset} (used because of --allow-sunset)` : sunset ? ` (sunset ${sunset})` : '';
      bag.warn(Codes.TEMPLATE_DEPRECATED, `${id} is deprecated${when}: ${t.deprecation.message}`, refAt);
    }
  }
  if (t.yanked)
    bag.warn(
      Codes.TEMPLATE_YANKED,
      `${id} is yanked by its publisher; it is used only because it is pinned exactly: move to a live version`,
      refAt,
    );
  return !t.diagnostics?.some((d) => d.severity === 'error');
}

/** Resolves the distinct (ref, selector) pairs of one level: one batch per source. */
async function resolveBatch(
  pending: Pending[],
  sources: TemplateSource[],
  file: string,
  positions: Positions,
): Promise<Map<string, ResolveOutcome>> {
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
          out.push({
            holder: obj,
            key,
            node: node as Record<string, unknown>,
            ref: ref as Record<string, unknown>,
            parent: annotations.get(node) ?? a,
            ancestry,
          });
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
  return !!node && typeof node === 'object' && !Array.isArray(node) && 'template' in node;
}

/** The type a placeholder step has in the plan: an external step naming the missing template. */
export const PLACEHOLDER_STEP_TYPE = 'Template';

/**
 * What stands for a template no source has: the reference's own fields (identifier, name,
 * when, ...) around an external step of type `Template` whose spec names the template; a step
 * group holds that step, a stage (of the type its templateInputs give, else Custom) runs it, a
 * pipeline has one Custom stage `template` running it.
 */
function placeholder(p: Pending, ref: string, selector: string, positions: Positions): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.node)) if (k !== 'template') setOwn(own, k, v);
  if (own['name'] === undefined) own['name'] = own['identifier'];
  const stepOf = (identifier: unknown): Record<string, unknown> => {
    const step = { identifier, name: identifier, type: PLACEHOLDER_STEP_TYPE, spec: { templateRef: ref, versionLabel: selector } };
    positions.copy(p.node, step);
    return step;
  };
  let value: Record<string, unknown>;
  if (p.key === 'step')
    value = { ...stepOf(own['identifier']), ...own, type: PLACEHOLDER_STEP_TYPE, spec: { templateRef: ref, versionLabel: selector } };
  else if (p.key === 'stepGroup') value = { ...own, steps: [{ step: stepOf('template') }] };
  else if (p.key === 'stage') {
    const ti = p.ref['templateInputs'];
    const type =
      ti && typeof ti === 'object' && typeof (ti as Record<string, unknown>)['type'] === 'string'
        ? (ti as Record<string, unknown>)['type']
        : 'Custom';
    value = { ...own, type, spec: { execution: { steps: [{ step: stepOf('template') }] } } };
  } else {
    // A whole pipeline from a template: one Custom stage running the placeholder step.
    const stage = {
      identifier: 'template',
      name: 'template',
      type: 'Custom',
      spec: { execution: { steps: [{ step: stepOf('template') }] } },
    };
    positions.copy(p.node, stage);
    value = { ...own, stages: [{ stage }] };
  }
  positions.copy(p.node, value);
  return value;
}

/** Builds the instance of template `t` for the reference `p`. */
function instantiate(
  p: Pending,
  t: ResolvedTemplate,
  refAt: Location,
  bag: DiagnosticBag,
  budget: SizeBudget,
  positions: Positions,
): { value: Record<string, unknown>; annotation: Annotation } | undefined {
  const doc = t.value as { template: Record<string, unknown> };
  const tpl = doc.template;
  const expected = TEMPLATE_TYPE[p.key];
  if (tpl['type'] !== expected) {
    bag.error(Codes.TEMPLATE_TYPE, `${t.ref}@${t.version} is a ${String(tpl['type'])} template, used here as a ${expected}`, refAt);
    return undefined;
  }
  const decls = (tpl['inputs'] ?? undefined) as Record<string, InputDecl> | undefined;
  const typed = resolveTypedInputs(decls, p.ref['inputs'], p.ref, refAt, `${t.ref}@${t.version}`, bag, positions);
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
  const cloned = renderedBody(t, spec, typed, p.ref['templateInputs'], p.parent, bag, render, context, { budget, at: refAt }, positions);
  if (!cloned || typeof cloned !== 'object' || Array.isArray(cloned)) return undefined;
  // The reference's own fields (identifier, name, when, timeout, ...) win over the body's.
  const value: Record<string, unknown> = { ...cloned };
  for (const [k, v] of Object.entries(p.node)) if (k !== 'template') setOwn(value, k, v);
  if (value['name'] === undefined) value['name'] = value['identifier'];
  positions.copy(cloned, value);
  annotations.set(value, annotation);
  return { value, annotation };
}
