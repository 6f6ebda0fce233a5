/**
 * Evaluating a policy on one compiled plan. Rules see the flat plan and each step's
 * provenance, so steps inside step groups, parallel blocks and templates nested in templates
 * are all seen — never only the top level.
 */
import semver from 'semver';
import { imageOf, type Plan, type PlanStage, type PlanStep } from '../schemas/index.js';
import type { Policy, Rule } from './policy.js';

export interface Violation {
  rule: string;
  severity: 'error' | 'warning';
  pipeline: string;
  file: string;
  line: number;
  column: number;
  stage?: string;
  step?: string;
  message: string;
}

/** What the sources said about a version in use: deprecated (with its sunset date), yanked. */
export interface VersionStatus {
  deprecated: boolean;
  sunset?: string;
  yanked?: boolean;
}

/** The status of every deprecated or yanked version that compiles report, by `ref@version`. */
export function versionStatus(
  compiled: { deprecated: { ref: string; version: string; sunset?: string }[]; yanked: { ref: string; version: string }[] }[],
): Map<string, VersionStatus> {
  const status = new Map<string, VersionStatus>();
  for (const r of compiled) {
    for (const d of r.deprecated)
      status.set(`${d.ref}@${d.version}`, {
        ...status.get(`${d.ref}@${d.version}`),
        deprecated: true,
        ...(d.sunset ? { sunset: d.sunset } : {}),
      });
    for (const y of r.yanked)
      status.set(`${y.ref}@${y.version}`, { deprecated: false, ...status.get(`${y.ref}@${y.version}`), yanked: true });
  }
  return status;
}

/** What the audit knows about a plan besides the plan itself. */
export interface PlanFacts {
  /** Deprecated and yanked versions used, by `ref@version` (`versionStatus`). */
  status: Map<string, VersionStatus>;
  /** `ref@version` pinned by the pipeline's lockfile. */
  locked: Set<string>;
  /** The pipeline file as shown in reports. */
  file: string;
}

/** Runs a compiled assert schema (kept out of line: ajv's validators narrow their argument). */
const holds = (rule: Rule, data: unknown): boolean => !rule.assert || rule.assert(data) === true;
const within = (v: string | undefined, list: string[] | undefined) => list === undefined || (v !== undefined && list.includes(v));
const refs = (s: PlanStep) => s.origin.templates.map((t) => t.ref);
/** A placeholder of a partial compile is an unknown value: it neither matches nor violates. */
const unknown = (v: unknown) => typeof v === 'string' && v.includes('<+input>');

function matchesStep(rule: Rule, step: PlanStep, stage: PlanStage | undefined): boolean {
  const m = rule.match;
  if (!within(step.kind, m.kind) || !within(step.type, m.type) || !within(stage?.type, m.stageType) || !within(step.stage, m.stage))
    return false;
  if (m.template && !refs(step).some((r) => m.template!.includes(r))) return false;
  const image = imageOf(step);
  if (m.image && (!image || unknown(image) || !m.image.test(image))) return false;
  return true;
}

function matchesStage(rule: Rule, stage: PlanStage, steps: PlanStep[]): boolean {
  const m = rule.match;
  if (!within(stage.type, m.stageType) || !within(stage.id, m.stage)) return false;
  if (m.template && !steps.some((s) => refs(s).some((r) => m.template!.includes(r)))) return false;
  return true;
}

/** `yanked ref@version` or `deprecated ref@version` when the version is either (yanked first), else undefined. */
function withdrawn(facts: PlanFacts, t: { ref: string; version: string }): string | undefined {
  const id = `${t.ref}@${t.version}`;
  const s = facts.status.get(id);
  return s?.yanked ? `yanked ${id}` : s?.deprecated ? `deprecated ${id}` : undefined;
}

/** Problems of one step against a rule's `require` and `assert`. */
function stepProblems(rule: Rule, step: PlanStep, facts: PlanFacts): string[] {
  const q = rule.require;
  const out: string[] = [];
  if (q.fromTemplate && !refs(step).some((r) => q.fromTemplate!.includes(r))) {
    out.push(
      `${step.kind} step ${step.id} is not from an approved template (${q.fromTemplate.join(', ')})${step.origin.templates.length ? `; it comes from ${refs(step).join(' → ')}` : '; it is written inline'}`,
    );
  }
  if (q.templateVersion) {
    for (const t of step.origin.templates.filter((t) => t.ref === q.templateVersion!.ref)) {
      const v = semver.valid(t.version) ?? undefined;
      if (!v || !semver.satisfies(v, q.templateVersion.range))
        out.push(`step ${step.id} uses ${t.ref}@${t.version}, outside ${q.templateVersion.range}`);
    }
  }
  if (q.readiness && (step.kind === 'background' || step.kind === 'service') && !step.readiness)
    out.push(`${step.kind} step ${step.id} declares no readiness probe`);
  if (q.notDeprecated) {
    for (const t of step.origin.templates) {
      const w = withdrawn(facts, t);
      if (w) out.push(`step ${step.id} uses ${w}`);
    }
  }
  if (q.locked)
    for (const t of step.origin.templates)
      if (!facts.locked.has(`${t.ref}@${t.version}`)) out.push(`step ${step.id} uses ${t.ref}@${t.version}, which no lockfile pins`);
  const image = imageOf(step);
  if (q.images && image && !unknown(image) && !q.images.some((re) => re.test(image)))
    out.push(`step ${step.id} uses image ${image}, which is not on the allow-list`);
  if (!holds(rule, step))
    out.push(
      `step ${step.id} does not satisfy the rule's schema: ${rule.assert!.errors?.map((e) => `${e.instancePath || '(step)'} ${e.message}`).join('; ')}`,
    );
  return out;
}

/** Evaluates every rule of the policy on a plan. */
export function evaluatePlan(policy: Policy, plan: Plan, facts: PlanFacts): Violation[] {
  const out: Violation[] = [];
  const stages = new Map(plan.stages.map((s) => [s.id, s]));
  const add = (
    rule: Rule,
    at: { file: string; line: number; column: number },
    message: string,
    where: { stage?: string; step?: string } = {},
  ) =>
    out.push({
      rule: rule.id,
      severity: rule.severity,
      pipeline: plan.pipeline.identifier,
      file: facts.file,
      line: at.line,
      column: at.column,
      ...where,
      message,
    });
  const top = { file: facts.file, line: 1, column: 1 };
  for (const rule of policy.rules) {
    if (rule.scope === 'step') {
      for (const step of plan.steps) {
        if (!matchesStep(rule, step, stages.get(step.stage))) continue;
        for (const msg of stepProblems(rule, step, facts)) add(rule, step.origin, msg, { stage: step.stage, step: step.id });
      }
    } else if (rule.scope === 'stage') {
      for (const stage of plan.stages) {
        const steps = plan.steps.filter((s) => s.stage === stage.id);
        if (!matchesStage(rule, stage, steps)) continue;
        const at = stage.origin ?? top;
        const q = rule.require;
        if (q.contains && !steps.some((s) => refs(s).includes(q.contains!.template)))
          add(rule, at, `stage ${stage.id} has no step from ${q.contains.template}`, { stage: stage.id });
        if (q.notDeprecated || q.locked || q.fromTemplate || q.readiness || q.images || q.templateVersion) {
          for (const s of steps)
            for (const msg of stepProblems(withoutAssert(rule), s, facts)) add(rule, s.origin, msg, { stage: stage.id, step: s.id });
        }
        if (!holds(rule, stage))
          add(
            rule,
            at,
            `stage ${stage.id} does not satisfy the rule's schema: ${rule.assert!.errors?.map((e) => `${e.instancePath || '(stage)'} ${e.message}`).join('; ')}`,
            { stage: stage.id },
          );
      }
    } else {
      const q = rule.require;
      const all = plan.steps.filter((s) => matchesStep(rule, s, stages.get(s.stage)));
      if (q.contains && !plan.steps.some((s) => refs(s).includes(q.contains!.template)))
        add(rule, top, `pipeline ${plan.pipeline.identifier} has no step from ${q.contains.template}`);
      if (q.stageOrder) {
        const base = (id: string) => id.replace(/(_\d+)+$/, '');
        const positions = q.stageOrder.map((id) => plan.stages.findIndex((s) => s.id === id || base(s.id) === id));
        const missing = q.stageOrder.filter((_, i) => positions[i]! < 0);
        if (missing.length)
          add(
            rule,
            top,
            `pipeline ${plan.pipeline.identifier} has no stage ${missing.join(', ')} (expected order ${q.stageOrder.join(' → ')})`,
          );
        else if (positions.some((p, i) => i > 0 && p < positions[i - 1]!))
          add(rule, top, `stages of ${plan.pipeline.identifier} are not in the order ${q.stageOrder.join(' → ')}`);
      }
      if (q.locked) {
        for (const t of plan.templates)
          if (!facts.locked.has(`${t.ref}@${t.version}`)) add(rule, top, `${t.ref}@${t.version} is not pinned by a lockfile`);
        // A deployment template or artifact source no source resolved has no version a lock could pin.
        for (const st of plan.stages)
          for (const r of st.references ?? [])
            if (!r.version)
              add(
                rule,
                top,
                `${r.type} template ${r.ref}${r.selector ? `@${r.selector}` : ''} is not pinned by a lockfile (no template source has it)`,
              );
      }
      if (q.notDeprecated) {
        for (const t of plan.templates) {
          const w = withdrawn(facts, t);
          if (w) add(rule, top, `pipeline uses ${w}`);
        }
      }
      if (q.fromTemplate || q.readiness || q.images || q.templateVersion)
        for (const s of all)
          for (const msg of stepProblems(withoutAssert(rule), s, facts)) add(rule, s.origin, msg, { stage: s.stage, step: s.id });
      if (!holds(rule, plan))
        add(
          rule,
          top,
          `the plan does not satisfy the rule's schema: ${rule.assert!.errors?.map((e) => `${e.instancePath || '(plan)'} ${e.message}`).join('; ')}`,
        );
    }
  }
  return out;
}

/** The rule without its schema assertion: its step checks run without the whole-object schema. */
function withoutAssert(rule: Rule): Rule {
  const { assert: _assert, ...rest } = rule;
  return rest;
}
