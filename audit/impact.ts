/**
 * Impact of a candidate template version before it is published: every pipeline that uses
 * the template (at any depth) is compiled twice — as today, and with the candidate in place
 * of what the reference resolves to — and the two plans are compared.
 */
import semver from 'semver';
import {
  compile,
  displayPath,
  LockfileReader,
  printable,
  resolveInOrder,
  selectVersion,
  type Diagnostic,
  type ResolvedTemplate,
  type ResolveRequest,
  type TemplateSource,
} from '../compiler/index.js';
import type { Plan, PlanStep } from '../schemas/index.js';
import { findPipelines, type FoundPipelines } from './audit.js';
import type { Excluded } from './fleet-files.js';
import { evaluatePlan, versionStatus, type Violation } from './evaluate.js';
import { markdownCell, markdownCode } from './formats.js';
import type { Policy } from './policy.js';

export interface StepChange {
  step: string;
  fields: { field: string; before: unknown; after: unknown }[];
}

export interface ImpactEntry {
  file: string;
  pipeline: string;
  status: 'unchanged' | 'changed' | 'broken' | 'not-applicable';
  added: string[];
  removed: string[];
  changed: StepChange[];
  diagnostics: Diagnostic[];
  newViolations: Violation[];
}

export interface ImpactReport {
  ref: string;
  candidate: string;
  consumers: number;
  broken: number;
  changed: number;
  /** Policy violations of severity error the candidate introduces (with a policy). */
  newErrors: number;
  /** Policy violations of severity warning the candidate introduces. */
  newWarnings: number;
  entries: ImpactEntry[];
}

/** Serves the candidate for `ref` where the pipeline's selector accepts it (or always with `all`). */
export class CandidateSource implements TemplateSource {
  readonly name = 'candidate';
  constructor(
    private readonly candidate: ResolvedTemplate,
    private readonly inner: TemplateSource[],
    private readonly all: boolean,
  ) {}

  accepts(selector: string): boolean {
    if (this.all) return true;
    const v = this.candidate.version;
    if (selector === '' || selector === 'stable') return !!semver.valid(v) && !semver.prerelease(v);
    return selectVersion(selector, [{ version: v }]).ok;
  }

  async resolve(requests: ResolveRequest[]) {
    const own = requests.map((r) => r.ref === this.candidate.ref && this.accepts(r.selector));
    const rest = requests.filter((_, i) => !own[i]);
    const answers = rest.length ? await resolveInOrder(this.inner, rest) : [];
    return requests.map((_, i) => (own[i] ? { ok: true as const, template: this.candidate } : answers.shift()!));
  }
}

const FIELDS = [
  'kind',
  'type',
  'name',
  'needs',
  'image',
  'shell',
  'command',
  'entrypoint',
  'args',
  'env',
  'ports',
  'readiness',
  'timeoutMs',
  'failure',
  'when',
  'outputs',
  'privileged',
  'runAsUser',
  'resources',
  'spec',
] as const;

/** A step's compared fields, whatever its kind (a field its kind lacks reads as absent). */
function fieldsOf(s: PlanStep): Partial<Record<(typeof FIELDS)[number], unknown>> {
  return s;
}

function compareSteps(a: PlanStep, b: PlanStep): StepChange | undefined {
  const [fa, fb] = [fieldsOf(a), fieldsOf(b)];
  const fields: StepChange['fields'] = FIELDS.filter((f) => JSON.stringify(fa[f]) !== JSON.stringify(fb[f])).map((f) => ({
    field: f,
    before: fa[f],
    after: fb[f],
  }));
  const va = a.origin.templates.map((t) => `${t.ref}@${t.version}`).join(' → ');
  const vb = b.origin.templates.map((t) => `${t.ref}@${t.version}`).join(' → ');
  if (va !== vb) fields.push({ field: 'templates', before: va, after: vb });
  return fields.length ? { step: a.id, fields } : undefined;
}

/** Steps added, removed and changed between two plans (the template version change alone is not a change). */
export function diffPlans(before: Plan, after: Plan): { added: string[]; removed: string[]; changed: StepChange[] } {
  const a = new Map(before.steps.map((s) => [s.id, s]));
  const b = new Map(after.steps.map((s) => [s.id, s]));
  const changed: StepChange[] = [];
  for (const [id, s] of a) {
    const t = b.get(id);
    if (!t) continue;
    const c = compareSteps(s, t);
    if (c && c.fields.some((f) => f.field !== 'templates')) changed.push(c);
  }
  return { added: [...b.keys()].filter((id) => !a.has(id)), removed: [...a.keys()].filter((id) => !b.has(id)), changed };
}

export interface ImpactOptions {
  candidate: ResolvedTemplate;
  paths: string[];
  sourcesFor: (file: string) => TemplateSource[];
  policy?: Policy;
  all?: boolean;
  baseDir?: string;
  /** Lockfiles, when the caller reads them already (for its sources). */
  locks?: LockfileReader;
  /** Called after each pipeline file. */
  onProgress?: (done: number, total: number) => void;
  /** Paths (relative to each searched folder) left out: `--exclude`. */
  excluded?: Excluded;
  /** The pipeline files, when the caller already looked for them (`findPipelines`). */
  found?: FoundPipelines;
}

export async function runImpact(opts: ImpactOptions): Promise<ImpactReport> {
  const { files, texts } = opts.found ?? findPipelines(opts.paths, undefined, opts.excluded);
  const entries: ImpactEntry[] = [];
  const locks = opts.locks ?? new LockfileReader();
  let done = 0;
  for (const path of files) {
    entries.push(...(await impactOfFile(path, texts.get(path)!, opts, locks)));
    opts.onProgress?.(++done, files.length);
  }
  return {
    ref: opts.candidate.ref,
    candidate: opts.candidate.version,
    consumers: entries.length,
    broken: entries.filter((e) => e.status === 'broken').length,
    changed: entries.filter((e) => e.status === 'changed').length,
    newErrors: countNew(entries, 'error'),
    newWarnings: countNew(entries, 'warning'),
    entries,
  };
}

/** The entries of one pipeline file: one per pipeline in it that uses the candidate's template. */
async function impactOfFile(path: string, text: string, opts: ImpactOptions, locks: LockfileReader): Promise<ImpactEntry[]> {
  const entries: ImpactEntry[] = [];
  const key = (v: Violation) => `${v.rule}|${v.step ?? ''}|${v.message}`;
  const file = displayPath(path, opts.baseDir);
  const sources = opts.sourcesFor(path);
  const before = await compile({ file: path, text, baseDir: opts.baseDir, sources, partial: true, allowSunset: true });
  const uses = before.plans.filter((p) => p.templates.some((t) => t.ref === opts.candidate.ref));
  if (uses.length === 0) return [];
  const cand = new CandidateSource(opts.candidate, sources, !!opts.all);
  const after = await compile({ file: path, text, baseDir: opts.baseDir, sources: [cand], partial: true, allowSunset: true });
  for (const plan of uses) {
    const base: ImpactEntry = {
      file,
      pipeline: plan.pipeline.identifier,
      status: 'unchanged',
      added: [],
      removed: [],
      changed: [],
      diagnostics: [],
      newViolations: [],
    };
    if (!after.ok) {
      entries.push({ ...base, status: 'broken', diagnostics: after.diagnostics.filter((d) => d.severity === 'error') });
      continue;
    }
    const next = after.plans.find((p) => p.pipeline.identifier === plan.pipeline.identifier)!;
    if (!next.templates.some((t) => t.ref === opts.candidate.ref && t.version === opts.candidate.version)) {
      entries.push({ ...base, status: 'not-applicable' });
      continue;
    }
    const d = diffPlans(plan, next);
    let newViolations: Violation[] = [];
    if (opts.policy) {
      // The pipeline's lock pins what it pins; the candidate counts as pinned (a refreshed
      // lock would hold it), so only real changes show as new violations.
      const locked = new Set<string>([`${opts.candidate.ref}@${opts.candidate.version}`]);
      try {
        for (const e of Object.values(locks.forPipeline(path)?.templates ?? {})) locked.add(`${e.ref}@${e.version}`);
      } catch {
        // a broken lockfile pins nothing
      }
      const facts = { status: versionStatus([before, after]), locked, file };
      const old = new Set(evaluatePlan(opts.policy, plan, facts).map(key));
      newViolations = evaluatePlan(opts.policy, next, facts).filter((v) => !old.has(key(v)));
    }
    const changed = d.added.length + d.removed.length + d.changed.length > 0;
    entries.push({ ...base, status: changed ? 'changed' : 'unchanged', ...d, newViolations });
  }
  return entries;
}

function countNew(entries: ImpactEntry[], severity: Violation['severity']): number {
  return entries.reduce((n, e) => n + e.newViolations.filter((v) => v.severity === severity).length, 0);
}

/** `3 new errors`, `1 new warning`. */
const plural = (n: number, what: string) => `${n} new ${what}${n === 1 ? '' : 's'}`;

/** The report as `json` (exact values), `markdown` (a pull-request comment: values escaped) or a table (values through `printable`). */
export function formatImpact(r: ImpactReport, format: 'table' | 'json' | 'markdown'): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  const show = (v: unknown) =>
    v === undefined ? '(none)' : typeof v === 'string' ? JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v) : JSON.stringify(v);
  const lines: string[] = [];
  if (format === 'markdown') {
    // Every value from the user's files through markdownCell / markdownCode: one row per entry, no HTML.
    lines.push(
      `## impact of ${markdownCell(r.ref)}@${markdownCell(r.candidate)}`,
      '',
      `${r.consumers} consumers · ${r.changed} changed · **${r.broken} broken** · ${plural(r.newErrors, 'error')} · ${plural(r.newWarnings, 'warning')}`,
      '',
      '| pipeline | status | details |',
      '| --- | --- | --- |',
    );
    for (const e of r.entries) {
      const details =
        e.status === 'broken'
          ? e.diagnostics.map((d) => `${d.code} ${markdownCell(d.message)}`).join('<br>')
          : [
              ...e.added.map((a) => `+ ${markdownCell(a)}`),
              ...e.removed.map((a) => `- ${markdownCell(a)}`),
              ...e.changed.map((c) => `~ ${markdownCell(c.step)}: ${c.fields.map((f) => markdownCell(f.field)).join(', ')}`),
              ...e.newViolations.map((v) => `new ${v.severity} ${markdownCell(v.rule)}`),
            ].join('<br>');
      lines.push(`| ${markdownCode(e.file)} ${markdownCell(e.pipeline)} | ${e.status} | ${details || '-'} |`);
    }
    return lines.join('\n') + '\n';
  }
  for (const e of r.entries) {
    lines.push(`${e.file} (${e.pipeline}): ${e.status}`);
    for (const d of e.diagnostics) lines.push(`  ${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`);
    for (const a of e.added) lines.push(`  + step ${a}`);
    for (const a of e.removed) lines.push(`  - step ${a}`);
    for (const c of e.changed)
      for (const f of c.fields.filter((f) => f.field !== 'templates'))
        lines.push(`  ~ ${c.step}.${f.field}: ${show(f.before)} → ${show(f.after)}`);
    for (const v of e.newViolations) lines.push(`  new ${v.severity} ${v.rule}: ${v.message}`);
  }
  lines.push(
    `${r.ref}@${r.candidate}: ${r.consumers} consumers, ${r.changed} changed, ${r.broken} broken, ${plural(r.newErrors, 'error')}, ${plural(r.newWarnings, 'warning')}`,
  );
  // Terminal text: every line through printable, so no value acts on the terminal or the CI log.
  return lines.map(printable).join('\n') + '\n';
}
