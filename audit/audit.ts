/**
 * The audit: find the pipelines under some paths, compile each (partially: open runtime
 * inputs are unknown values), evaluate the policy, and gather the inventory of template
 * versions in use and their drift behind the current stable version. A pipeline that does
 * not compile is reported with its diagnostics and counted; the audit goes on.
 */
import { readFileSync, statSync } from 'node:fs';
import semver from 'semver';
import { listFleetFiles, type Excluded } from './fleet-files.js';
import { compile, displayPath, LockedSource, LockfileReader, type Diagnostic, type TemplateSource } from '../compiler/index.js';
import type { Origin, Plan } from '../schemas/index.js';
import { evaluatePlan, versionStatus, type Violation, type VersionStatus } from './evaluate.js';
import { lockFailure, outcomeOf } from './outcome.js';

export type { VersionStatus };
import type { Policy } from './policy.js';

export interface PipelineResult {
  file: string;
  pipelines: string[];
  ok: boolean;
  /** Its errors when it does not compile (`PW4010` for a version past its sunset), then its compile warnings (see `outcome.ts`). */
  diagnostics: Diagnostic[];
  violations: Violation[];
}

/**
 * One template in use. `uses` counts references: once per place a reference to the version is
 * written — in a pipeline, or in a template a pipeline uses — summed over pipelines, however
 * many steps the reference produces (a Stage template of two steps, a step copied by a matrix:
 * one use each). `pipelines` counts the pipelines with at least one.
 */
export interface InventoryEntry {
  ref: string;
  stable?: string;
  versions: ({ version: string; uses: number; pipelines: number; drift?: 'major' | 'minor' | 'patch' | 'prerelease' } & VersionStatus)[];
}

export interface AuditReport {
  policy: string;
  summary: { files: number; pipelines: number; failedToCompile: number; errors: number; warnings: number };
  results: PipelineResult[];
  violations: Violation[];
  inventory: InventoryEntry[];
  skipped: { file: string; reason: string }[];
}

export interface AuditOptions {
  paths: string[];
  policy: Policy;
  /** Fields pipewright does not know are errors, not warnings (`--strict`). */
  strict?: boolean;
  /** Sources for one pipeline (its lockfile may differ from the next one's). */
  sourcesFor: (file: string) => TemplateSource[];
  /** The current stable version of a template, for drift; undefined when unknown. */
  stableOf?: (ref: string) => Promise<string | undefined>;
  glob?: RegExp;
  baseDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** The pipeline files, when the caller already looked for them (`findPipelines`). */
  found?: FoundPipelines;
  /** Lockfiles, when the caller reads them already (for its sources); else read here, once per folder. */
  locks?: LockfileReader;
}

/** Pipeline files found under some paths, with their text (read once), and what was skipped. */
export interface FoundPipelines {
  files: string[];
  texts: Map<string, string>;
  skipped: { file: string; reason: string }[];
}

/**
 * Pipeline files under the paths: YAML files whose text has a `pipeline:` root (hidden folders
 * searched, see `fleet-files.ts`; `excluded` tests paths relative to each searched folder).
 */
export function findPipelines(paths: string[], glob?: RegExp, excluded?: Excluded): FoundPipelines {
  const files: string[] = [];
  const texts = new Map<string, string>();
  const skipped: { file: string; reason: string }[] = [];
  const taken = new Set<string>();
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      skipped.push({ file: p, reason: 'no such file or folder' });
      continue;
    }
    for (const f of st.isDirectory() ? listFleetFiles(p, excluded) : [p]) {
      if (glob && !glob.test(f)) continue;
      // A folder and a file in it, or a folder named twice: each pipeline once.
      if (taken.has(f)) continue;
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (e) {
        skipped.push({ file: f, reason: `unreadable: ${(e as Error).message}` });
        continue;
      }
      if (looksLikePipeline(text)) {
        taken.add(f);
        files.push(f);
        texts.set(f, text);
      } else if (!st.isDirectory()) skipped.push({ file: f, reason: "no 'pipeline:' root" });
    }
  }
  return { files, texts, skipped };
}

/**
 * Whether a file's text has a `pipeline:` root as `compile` reads it: at the start of a line,
 * plain or quoted, after a byte-order mark, or as the first key of a flow mapping or JSON
 * object (`{pipeline: ...}`, `{"pipeline": ...}`). A cheap test on the text: the fleet is
 * thousands of files, and a miss here is a pipeline the gate never sees.
 */
export function looksLikePipeline(text: string): boolean {
  return PIPELINE_ROOT.test(text) || FLOW_ROOT.test(text);
}

const PIPELINE_ROOT = /^\uFEFF?(["']?)pipeline\1[ \t]*:/m;
const FLOW_ROOT = /^\uFEFF?\s*\{\s*(["']?)pipeline\1\s*:/;

export async function runAudit(opts: AuditOptions): Promise<AuditReport> {
  const { files, texts, skipped } = opts.found ?? findPipelines(opts.paths, opts.glob);
  const results: PipelineResult[] = [];
  const uses = new Map<string, Map<string, Use>>();
  let done = 0;
  const locks = opts.locks ?? new LockfileReader();
  for (const path of files) {
    const file = displayPath(path, opts.baseDir);
    let sources: TemplateSource[];
    try {
      sources = opts.sourcesFor(path);
    } catch (e) {
      texts.delete(path);
      results.push({ file, pipelines: [], ...lockFailure(path, e, opts.baseDir), violations: [] });
      opts.onProgress?.(++done, files.length);
      continue;
    }
    const r = await compile({
      file: path,
      text: texts.get(path)!,
      baseDir: opts.baseDir,
      sources,
      partial: true,
      allowSunset: true,
      ...(opts.strict ? { strict: true } : {}),
    });
    texts.delete(path);
    const status = versionStatus([r]);
    const locked = pinnedVersions(path, locks, sources);
    const violations = r.plans.flatMap((plan) => evaluatePlan(opts.policy, plan, { status, locked, file }));
    for (const plan of r.plans) count(plan, file, status, uses);
    results.push({ file, pipelines: r.plans.map((p) => p.pipeline.identifier), ...outcomeOf(r), violations });
    opts.onProgress?.(++done, files.length);
  }
  const inventory: InventoryEntry[] = [];
  for (const [ref, versions] of [...uses].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const stable = await opts.stableOf?.(ref);
    inventory.push({
      ref,
      ...(stable ? { stable } : {}),
      versions: [...versions]
        .map(([version, u]) => ({ version, uses: u.uses, pipelines: u.pipelines.size, ...u.status, ...driftOf(version, stable) }))
        .sort((a, b) =>
          semver.valid(a.version) && semver.valid(b.version) ? semver.rcompare(a.version, b.version) : a.version < b.version ? -1 : 1,
        ),
    });
  }
  const violations = results.flatMap((r) => r.violations);
  return {
    policy: opts.policy.name,
    summary: {
      files: files.length,
      pipelines: results.reduce((n, r) => n + r.pipelines.length, 0),
      failedToCompile: results.filter((r) => !r.ok).length,
      errors: violations.filter((v) => v.severity === 'error').length,
      warnings: violations.filter((v) => v.severity === 'warning').length,
    },
    results,
    violations,
    inventory,
    skipped,
  };
}

interface Use {
  uses: number;
  pipelines: Set<string>;
  status: VersionStatus;
}

/**
 * The template versions the pipeline's lock pins for the references that use them: every
 * version its lock holds, less those some reference of this compile reached without a lock
 * entry (the lock holds them only under another selector). A broken lockfile pins nothing.
 */
function pinnedVersions(path: string, locks: LockfileReader, sources: TemplateSource[]): Set<string> {
  let lock;
  try {
    lock = locks.forPipeline(path);
  } catch {
    return new Set();
  }
  const pinned = new Set(Object.values(lock?.templates ?? {}).map((e) => `${e.ref}@${e.version}`));
  for (const s of sources) if (s instanceof LockedSource) for (const v of s.unlocked) pinned.delete(v);
  return pinned;
}

/**
 * Counts the template references of one plan into `uses`, once per place each is written.
 * Every stage and step carries its template chain (outermost first): the first reference is
 * written at the origin's site in the pipeline, each further one in the template before it, at
 * that link's line. Stages and steps of one instance share their keys, and so do the copies
 * of a matrix, so each reference counts once; linear in the plan's links.
 */
/** The inventory's version for a reference no template source resolved. */
const UNRESOLVED = 'unresolved';

function count(plan: Plan, file: string, status: Map<string, VersionStatus>, uses: Map<string, Map<string, Use>>): void {
  const pipeline = `${file}#${plan.pipeline.identifier}`;
  const seen = new Set<string>();
  const visit = (origin: Origin | undefined) => {
    if (!origin?.templates.length) return;
    let place = `${origin.file}:${origin.line}:${origin.column}`;
    for (const t of origin.templates) {
      const id = `${t.ref}@${t.version}`;
      const key = `${place}>${id}`;
      place = `${id}:${t.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let byVersion = uses.get(t.ref);
      if (!byVersion) uses.set(t.ref, (byVersion = new Map<string, Use>()));
      let u = byVersion.get(t.version);
      if (!u) byVersion.set(t.version, (u = { uses: 0, pipelines: new Set(), status: status.get(id) ?? { deprecated: false } }));
      u.uses++;
      u.pipelines.add(pipeline);
    }
  };
  for (const stage of plan.stages) {
    visit(stage.origin);
    // Deployment templates, artifact sources, monitored services: counted where written; one
    // no source resolved is counted as version `unresolved`.
    for (const r of stage.references ?? [])
      visit(
        r.version
          ? r.origin
          : {
              ...r.origin,
              templates: [...r.origin.templates, { ref: r.ref, version: UNRESOLVED, digest: '', file: r.origin.file, line: r.origin.line }],
            },
      );
  }
  for (const step of plan.steps) visit(step.origin);
}

export function driftOf(version: string, stable: string | undefined): { drift?: 'major' | 'minor' | 'patch' | 'prerelease' } {
  if (!stable || !semver.valid(version) || !semver.valid(stable) || !semver.lt(version, stable)) return {};
  const d = semver.diff(version, stable);
  if (d === 'major' || d === 'premajor') return { drift: 'major' };
  if (d === 'minor' || d === 'preminor') return { drift: 'minor' };
  if (d === 'patch' || d === 'prepatch') return { drift: 'patch' };
  return { drift: 'prerelease' };
}

/**
 * Merges audits of disjoint parts of a fleet (worker threads) into one report, in file order;
 * drift is graded again against `stableOf`.
 */
export async function mergeAudits(parts: AuditReport[], stableOf?: (ref: string) => Promise<string | undefined>): Promise<AuditReport> {
  const results = parts.flatMap((p) => p.results).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const byRef = new Map<string, Map<string, { uses: number; pipelines: number } & VersionStatus>>();
  for (const part of parts) {
    for (const t of part.inventory) {
      let versions = byRef.get(t.ref);
      if (!versions) byRef.set(t.ref, (versions = new Map<string, { uses: number; pipelines: number } & VersionStatus>()));
      for (const v of t.versions) {
        const prior = versions.get(v.version) ?? { uses: 0, pipelines: 0, deprecated: false };
        const sunset = prior.sunset ?? v.sunset;
        versions.set(v.version, {
          uses: prior.uses + v.uses,
          pipelines: prior.pipelines + v.pipelines,
          deprecated: prior.deprecated || v.deprecated,
          ...(sunset ? { sunset } : {}),
          ...(prior.yanked || v.yanked ? { yanked: true } : {}),
        });
      }
    }
  }
  const inventory: InventoryEntry[] = [];
  for (const [ref, versions] of [...byRef].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const stable = await stableOf?.(ref);
    inventory.push({
      ref,
      ...(stable ? { stable } : {}),
      versions: [...versions]
        .map(([version, u]) => ({ version, ...u, ...driftOf(version, stable) }))
        .sort((a, b) =>
          semver.valid(a.version) && semver.valid(b.version) ? semver.rcompare(a.version, b.version) : a.version < b.version ? -1 : 1,
        ),
    });
  }
  const violations = results.flatMap((r) => r.violations);
  return {
    policy: parts[0]?.policy ?? '',
    summary: {
      files: parts.reduce((n, p) => n + p.summary.files, 0),
      pipelines: parts.reduce((n, p) => n + p.summary.pipelines, 0),
      failedToCompile: parts.reduce((n, p) => n + p.summary.failedToCompile, 0),
      errors: violations.filter((v) => v.severity === 'error').length,
      warnings: violations.filter((v) => v.severity === 'warning').length,
    },
    results,
    violations,
    inventory,
    skipped: parts.flatMap((p) => p.skipped),
  };
}
