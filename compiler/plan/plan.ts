/**
 * Assembling the plan document: fixed top-level shape, templates sorted, digest over the
 * canonical form (an enumerable property, computed when first read). Two compiles of the
 * same inputs give byte-identical `formatPlan` output.
 */
import { PLAN_API_VERSION, type Plan, type PlanStage, type PlanStep, type TemplateUse } from '../../schemas/index.js';
import { canonicalJson, canonicalPretty, sha256 } from './canonical.js';
import type { ResolvedTemplate } from '../sources/source.js';

export function assemblePlan(
  pipeline: { identifier: string; name: string; variables: Record<string, string | number | boolean> },
  used: Iterable<ResolvedTemplate>,
  stages: PlanStage[],
  steps: PlanStep[],
  partial = false,
): Plan {
  const templates: TemplateUse[] = [...used]
    .map((t) => ({ ref: t.ref, version: t.version, digest: t.digest }))
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const p: Omit<Plan, 'digest'> = {
    apiVersion: PLAN_API_VERSION,
    kind: 'Plan',
    pipeline: Object.keys(pipeline.variables).length ? pipeline : { identifier: pipeline.identifier, name: pipeline.name },
    templates,
    stages,
    steps,
    ...(partial ? { partial: true as const } : {}),
  };
  // The digest is computed on first read and kept: an audit reads thousands of plans and
  // never their digests, which cost as much as a sixth of a compile. Plans are not changed
  // after assembly, so reading it later gives what reading it now would.
  let digest: string | undefined;
  return {
    ...p,
    get digest(): string {
      return (digest ??= planDigest(p));
    },
  };
}

/** sha256 of the canonical plan without its digest field. */
export function planDigest(plan: Omit<Plan, 'digest'> | Plan): string {
  const { digest: _ignored, ...rest } = plan as Plan;
  void _ignored;
  return sha256(canonicalJson(rest));
}

/** The plan as canonical, pretty JSON text with a final newline. */
export function formatPlan(plan: Plan): string {
  return canonicalPretty(plan) + '\n';
}
