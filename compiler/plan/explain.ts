/**
 * `compile --explain`: the plan as a readable tree, stage by stage, each step with its kind,
 * what it waits for and the templates that produced it.
 */
import { isExecuted, isLongLived, type Plan, type PlanStep } from '../../schemas/index.js';
import { printable } from '../printable.js';

export function explainPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`pipeline ${plan.pipeline.identifier} (${plan.pipeline.name})  digest ${plan.digest.slice(0, 19)}…`);
  if (plan.templates.length) {
    lines.push(`templates: ${plan.templates.map((t) => `${t.ref}@${t.version}`).join(', ')}`);
  }
  for (const stage of plan.stages) {
    const needs = stage.needs.length ? `  after ${stage.needs.join(', ')}` : '';
    lines.push(`stage ${stage.id} [${stage.type}, ${stage.backend}]${needs}${stage.when ? `  when ${describeWhen(stage.when)}` : ''}`);
    const steps = plan.steps.filter((s) => s.stage === stage.id);
    steps.forEach((s, i) => {
      const last = i === steps.length - 1;
      lines.push(`${last ? '└─' : '├─'} ${describe(s, stage.id)}`);
      const pad = last ? '   ' : '│  ';
      if (s.needs.length) lines.push(`${pad}   needs ${s.needs.map((n) => short(n, stage.id)).join(', ')}`);
      if (s.origin.templates.length) {
        lines.push(
          `${pad}   from ${s.origin.templates.map((t) => `${t.ref}@${t.version}`).join(' → ')}  (${s.origin.file}:${s.origin.line})`,
        );
      }
    });
  }
  // Names and values come from the user's files: one line each, no control characters.
  return lines.map(printable).join('\n') + '\n';
}

function short(id: string, stage: string): string {
  return id.startsWith(stage + '.') ? id.slice(stage.length + 1) : id;
}

function describe(s: PlanStep, stage: string): string {
  const bits = [`${short(s.id, stage)}`, `${s.kind}${s.kind === 'external' || s.type !== kindType(s.kind) ? `:${s.type}` : ''}`];
  if (isExecuted(s) && s.image) bits.push(`image ${s.image}`);
  if (isLongLived(s) && s.readiness) bits.push(`ready ${Object.keys(s.readiness).filter((k) => !k.endsWith('Ms'))[0]}`);
  if (s.when) bits.push(`when ${describeWhen(s.when)}`);
  if (s.timeoutMs) bits.push(`timeout ${s.timeoutMs}ms`);
  return bits.join('  ');
}

function kindType(kind: string): string {
  return kind === 'run' ? 'Run' : kind === 'background' ? 'Background' : kind === 'service' ? 'Service' : '';
}

function describeWhen(w: { status?: string; condition?: string }): string {
  return [w.status, w.condition].filter(Boolean).join(' if ');
}
