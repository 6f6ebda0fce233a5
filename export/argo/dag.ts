/**
 * The plan's stages and step groups as Argo DAG templates. A stage is one DAG; a step group
 * (the middle segments of a step id, `stage.group.step`) is a DAG nested in it, so the
 * daemons started in a scope end with the scope. A task `depends` on the tasks of its DAG
 * that hold a step it needs.
 *
 * Values a step takes at run time (a service's pod IP, another step's output) travel as
 * parameters: a task passes `{{tasks.X.ip}}` or `{{tasks.X.outputs.parameters.N}}` when X
 * is in its own DAG, or the value its DAG received from the DAG above.
 */
import { isExecuted, type Plan, type PlanStep } from '../../schemas/index.js';
import { argoWhen } from './conditions.js';
import { containerTemplate, outputOf, paramOf, type ContainerOptions, type Needed } from './container.js';
import { NameSpace } from './names.js';
import type { Problems } from './problems.js';

/** The pipeline, a stage or a step group: its children in plan order. */
export interface Scope {
  /** '' for the pipeline, `stage` or `stage.group...` */
  key: string;
  kind: 'pipeline' | 'stage' | 'group';
  children: (Scope | PlanStep)[];
  parent?: Scope;
}

const isScope = (c: Scope | PlanStep): c is Scope => 'children' in c;

/** What the DAG builder needs from the workflow: names, options, and the problems it reports. */
export interface DagContext {
  plan: Plan;
  templates: NameSpace;
  options: ContainerOptions;
  problems: Problems;
  /** Steps left out (--skip-unsupported): their dependents depend on what they needed. */
  skipped: Set<string>;
  out: Record<string, unknown>[];
  /** The run-time values each step takes (values.ts), by step id. */
  neededBy: Map<string, Needed[]>;
  /** A step's direct needs, skipped steps replaced by what they needed. */
  needsOf: (step: PlanStep) => string[];
  /** Every output a step reads: which step reads it. */
  outputUses: { consumer: string; value: Needed }[];
}

/** The pipeline's scope tree: its stages, their step groups and steps, in plan order. */
export function scopesOf(plan: Plan, skipped: Set<string>): Scope {
  const root: Scope = { key: '', kind: 'pipeline', children: [] };
  const stages = new Map<string, Scope>(plan.stages.map((s) => [s.id, { key: s.id, kind: 'stage', children: [], parent: root }]));
  root.children.push(...stages.values());
  const groups = new Map<string, Scope>();
  for (const step of plan.steps) {
    if (skipped.has(step.id)) continue;
    const parts = step.id.split('.');
    let scope = stages.get(step.stage)!;
    for (let i = 1; i < parts.length - 1; i++) {
      const key = parts.slice(0, i + 1).join('.');
      let g = groups.get(key);
      if (!g) {
        g = { key, kind: 'group', children: [], parent: scope };
        groups.set(key, g);
        scope.children.push(g);
      }
      scope = g;
    }
    scope.children.push(step);
  }
  return root;
}

/** Every step below a scope (or the step itself). */
function stepsIn(c: Scope | PlanStep): PlanStep[] {
  return isScope(c) ? c.children.flatMap(stepsIn) : [c];
}

/**
 * Adds the DAG template of `scope` (and of the scopes and steps below it) to `ctx.out`; returns
 * its name, the parameters it takes from the DAG above, and the outputs it hands up.
 */
export function dagTemplate(scope: Scope, ctx: DagContext): { name: string; takes: Needed[] } {
  const name = ctx.templates.take(scope.kind === 'pipeline' ? 'pipeline' : `${scope.kind}-${scope.key}`);
  // A DAG comes before the templates its tasks use, in plan order: the manifest reads top-down.
  const at = ctx.out.push({}) - 1;
  const tasks = new NameSpace();
  const taskOf = new Map<Scope | PlanStep, string>();
  for (const c of scope.children) taskOf.set(c, tasks.take(isScope(c) ? c.key.split('.').pop()! : c.id.split('.').pop()!));
  // Which child holds each step of this DAG.
  const holder = new Map<string, Scope | PlanStep>();
  for (const c of scope.children) for (const s of stepsIn(c)) holder.set(s.id, c);
  const needsOf = ctx.needsOf;
  const takes = new Map<string, Needed>();
  /** A value as this DAG's tasks see it: from a task of this DAG, or handed down from above. */
  const valueHere = (n: Needed): string => {
    const h = holder.get(n.step);
    if (h) {
      const task = taskOf.get(h)!;
      if (n.kind === 'ip') return `{{tasks.${task}.ip}}`;
      return `{{tasks.${task}.outputs.parameters.${isScope(h) ? paramOf(n) : n.name}}}`;
    }
    takes.set(paramOf(n), n);
    return `{{inputs.parameters.${paramOf(n)}}}`;
  };
  const dagTasks: Record<string, unknown>[] = [];
  let failFast = true;
  for (const c of scope.children) {
    const task: Record<string, unknown> = { name: taskOf.get(c)! };
    let needed: Needed[];
    if (isScope(c)) {
      const inner = dagTemplate(c, ctx);
      task['template'] = inner.name;
      needed = inner.takes;
      const stage = c.kind === 'stage' ? ctx.plan.stages.find((st) => st.id === c.key) : undefined;
      if (stage?.when?.condition) {
        const w = argoWhen(stage.when.condition, stage.refs ?? [], (r) => (r.kind === 'output' ? valueHere(outputOf(r)) : undefined));
        if ('problem' in w)
          ctx.problems.error(`stage ${stage.id}: its condition cannot be exported (${w.problem}): ${stage.when.condition}`, stage.origin);
        else if (w.when !== undefined) task['when'] = w.when;
      }
    } else {
      needed = ctx.neededBy.get(c.id) ?? [];
      if (!isExecuted(c)) continue; // external steps are refused (or skipped) by the workflow
      const t = containerTemplate(ctx.templates.take(`step-${c.id}`), c, needed, ctx.plan.pipeline.identifier, ctx.options, ctx.problems);
      if (!t) continue;
      const failure = failureFields(c, ctx.problems);
      Object.assign(t, failure.template);
      ctx.out.push(t);
      task['template'] = t['name'];
      Object.assign(task, failure.task);
      if (c.when?.status === 'All') failFast = false;
      if (c.when?.condition) {
        const w = argoWhen(c.when.condition, c.refs ?? [], (r) => (r.kind === 'output' ? valueHere(outputOf(r)) : undefined));
        if (!('problem' in w)) {
          if (w.when !== undefined) task['when'] = w.when;
        } else ctx.problems.error(`${c.id}: its condition cannot be exported (${w.problem}): ${c.when.condition}`, c.origin);
      }
    }
    if (needed.length) task['arguments'] = { parameters: needed.map((n) => ({ name: paramOf(n), value: valueHere(n) })) };
    const deps = scope.kind === 'pipeline' ? stageDepends(c as Scope, taskOf, ctx) : dependsOf(c, holder, taskOf, needsOf);
    if (deps) task['depends'] = deps;
    dagTasks.push(task);
  }
  const t: Record<string, unknown> = { name };
  if (takes.size) t['inputs'] = { parameters: [...takes.keys()].map((p) => ({ name: p })) };
  // Outputs of steps in this scope that steps outside it read: handed up as its own outputs.
  const gives = scope.kind === 'pipeline' ? [] : givenUp(scope, ctx);
  if (gives.length) t['outputs'] = { parameters: gives.map((n) => ({ name: paramOf(n), valueFrom: { parameter: valueHere(n) } })) };
  const stage = scope.kind === 'stage' ? ctx.plan.stages.find((st) => st.id === scope.key) : undefined;
  if (stage?.timeoutMs !== undefined) t['activeDeadlineSeconds'] = String(Math.ceil(stage.timeoutMs / 1000));
  t['dag'] = { ...(failFast ? {} : { failFast: false }), tasks: dagTasks };
  ctx.out[at] = t;
  return { name, takes: [...takes.values()] };
}

/** The output values produced inside `scope` that a step outside it reads. */
function givenUp(scope: Scope, ctx: DagContext): Needed[] {
  const out = new Map<string, Needed>();
  const inScope = (id: string) => id.startsWith(`${scope.key}.`);
  for (const { consumer, value } of ctx.outputUses) if (!inScope(consumer) && inScope(value.step)) out.set(paramOf(value), value);
  return [...out.values()];
}

/** A stage task's `depends`: the stages it needs (Harness runs stages in order unless told otherwise). */
function stageDepends(stage: Scope, taskOf: Map<Scope | PlanStep, string>, ctx: DagContext): string | undefined {
  const s = ctx.plan.stages.find((st) => st.id === stage.key)!;
  const byKey = new Map([...taskOf.keys()].filter(isScope).map((k) => [k.key, taskOf.get(k)!]));
  const deps = s.needs.map((n) => byKey.get(n)).filter((t): t is string => !!t);
  if (!deps.length) return undefined;
  const always = s.when?.status === 'All';
  return deps.map((t) => (always ? `(${t}.Succeeded || ${t}.Failed || ${t}.Errored)` : t)).join(' && ');
}

/** The `depends` expression of a child: the tasks of this DAG holding steps it needs. */
function dependsOf(
  c: Scope | PlanStep,
  holder: Map<string, Scope | PlanStep>,
  taskOf: Map<Scope | PlanStep, string>,
  needsOf: (s: PlanStep) => string[],
): string | undefined {
  const inside = new Set(stepsIn(c).map((s) => s.id));
  const deps = new Set<Scope | PlanStep>();
  for (const s of stepsIn(c)) for (const n of needsOf(s)) if (!inside.has(n) && holder.has(n)) deps.add(holder.get(n)!);
  if (!deps.size) return undefined;
  const runsAlways = !isScope(c) && c.when?.status === 'All';
  const parts = [...deps].map((d) => {
    const t = taskOf.get(d)!;
    // `T` alone means T succeeded, was skipped or (a daemon) is ready; an ignored failure or a
    // step that runs whatever happened before it also accepts T's failure.
    const ignored = !isScope(d) && ignoresFailure(d);
    return runsAlways || ignored ? `(${t}.Succeeded || ${t}.Skipped || ${t}.Daemoned || ${t}.Failed || ${t}.Errored)` : t;
  });
  return parts.join(' && ');
}

/** Whether a step's failure strategy ignores every error (at once, or after its retries). */
function ignoresFailure(step: PlanStep): boolean {
  const ignores = (type: string | undefined) => type === 'Ignore' || type === 'MarkAsSuccess';
  return (step.failure ?? []).some(
    (r) => r.errors.includes('AllErrors') && (ignores(r.action.type) || (r.action.type === 'Retry' && ignores(r.action.onRetryFailure))),
  );
}

/**
 * A step's failure strategy: Retry → the template's retryStrategy, Ignore and MarkAsSuccess →
 * the task's continueOn. Abort and MarkAsFailure are Argo's own behaviour (the DAG fails). Anything else,
 * or a rule for some error types only, is refused: Argo cannot tell error types apart.
 */
function failureFields(step: PlanStep, problems: Problems): { task: Record<string, unknown>; template: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  const template: Record<string, unknown> = {};
  for (const rule of step.failure ?? []) {
    if (!rule.errors.includes('AllErrors')) {
      problems.error(
        `${step.id}: a failure strategy for ${rule.errors.join(', ')} only cannot be exported: Argo does not tell error types apart (use AllErrors)`,
        step.origin,
      );
      continue;
    }
    const a = rule.action;
    if (a.type === 'Retry') {
      const interval = a.retryIntervalsMs?.[0];
      template['retryStrategy'] = {
        limit: String(a.retryCount ?? 1),
        retryPolicy: 'Always',
        ...(interval ? { backoff: { duration: `${Math.ceil(interval / 1000)}s` } } : {}),
      };
      if (a.onRetryFailure && ['Ignore', 'MarkAsSuccess'].includes(a.onRetryFailure)) fields['continueOn'] = { failed: true, error: true };
      else if (a.onRetryFailure && !['Abort', 'MarkAsFailure'].includes(a.onRetryFailure))
        problems.error(
          `${step.id}: after retries, ${a.onRetryFailure} cannot be exported (Ignore, MarkAsSuccess, Abort and MarkAsFailure can)`,
          step.origin,
        );
    } else if (a.type === 'Ignore' || a.type === 'MarkAsSuccess') fields['continueOn'] = { failed: true, error: true };
    else if (a.type !== 'Abort' && a.type !== 'MarkAsFailure')
      problems.error(
        `${step.id}: failure strategy ${a.type} cannot be exported (Retry, Ignore, MarkAsSuccess, Abort and MarkAsFailure can)`,
        step.origin,
      );
  }
  return { task: fields, template };
}
