/**
 * Stages of the corpus generator: one stage element (identifier, stage variables,
 * strategy, `when`, failure strategies, key order) and the specs of the Custom,
 * Deployment and Approval stages (the CI spec is in ci-stage.ts).
 */
import { ciSpec } from './ci-stage.js';
import { condition } from './conditions.js';
import { vars } from './expressions.js';
import { failureStrategies } from './failure-strategies.js';
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { Ctx, Strat } from './model.js';
import { stepList } from './step-tree.js';
import { strategy } from './strategies.js';
import { variableNode } from './variables.js';
import { STAGE_VAR_WORDS, STAGE_WORDS } from './vocabulary.js';
import { map, seq, type MapNode, type Node } from './yaml-emit.js';

export function stage(g: Gen, type: string, ancestors: Set<string>, inParallel: boolean): { node: Node; id: string } {
  const sid = g.ident('stage', g.pick(STAGE_WORDS));
  g.feat(`stage-${type}`);
  const o: Record<string, Node | undefined> = { name: g.nameFor(sid), identifier: sid };
  if (g.chance(0.5)) o['description'] = ''; // corpus: .harness__harness.yaml `description: ""`
  o['type'] = type;

  // Stage variables (doc "Stage variables"; fixture: nested-expressions.yaml)
  const svars =
    type === 'Approval'
      ? []
      : g.sample(
          STAGE_VAR_WORDS,
          g.weighted([
            [0, 5],
            [1, 3],
            [2, 2],
          ]),
        );
  g.stageVarsOf.set(sid, svars);
  let strat: { node: Node; strat: Strat } | undefined;
  if ((type === 'CI' || type === 'Custom') && g.chance(0.12)) strat = strategy(g, 'stage');
  const copied = !!strat;
  if (!copied) g.addressable.add(sid);
  const ctx: Ctx = {
    stage: sid,
    stageType: type,
    ancestors,
    stageVars: svars,
    before: [],
    groupPath: [],
    ...(strat ? { strat: strat.strat } : {}),
    copied,
    nodeCopied: false,
    needsImage: false,
    depth: 0,
  };

  const varNodes = svars.map((name) => {
    const strings = vars(g, ctx, (v) => v.type === 'String');
    let value: string;
    if (g.chance(0.2)) value = input(g, g.pick(['dev', 'ns1', 'latest']), g.chance(0.4) ? ['dev', 'ns1', 'latest', 'qa'] : undefined);
    else {
      // A second draw (not the first one again): a pipeline variable's value, else a literal.
      const fromPipeline = g.chance(0.2) && strings.length > 0;
      value = fromPipeline ? `<+pipeline.variables.${g.pick(strings).name}>` : g.pick(['dev', 'payments', 'latest', '3', 'blue']);
    }
    return variableNode(g, name, 'String', value);
  });
  let spec: MapNode;
  if (type === 'CI') spec = ciSpec(g, ctx);
  else if (type === 'Custom') spec = map({ execution: map({ steps: seq(stepList(g, ctx, 'custom', g.int(1, 4))) }) });
  else if (type === 'Deployment') spec = deploymentSpec(g, ctx);
  else spec = approvalSpec(g, ctx);
  g.stageOutputs.set(sid, [...ctx.before]);

  // Key order varies as Harness files do (corpus goldens: identifier, name, spec, type; editor: name, identifier, description, type, spec).
  if (g.chance(0.3)) {
    o['spec'] = spec;
    if (varNodes.length) o['variables'] = seq(varNodes);
  } else {
    if (varNodes.length) o['variables'] = seq(varNodes);
    o['spec'] = spec;
  }
  if (g.chance(0.35)) o['failureStrategies'] = failureStrategies(g, type === 'CI' ? 'stage-ci' : 'stage-cd');
  if (g.chance(0.3) || (inParallel && g.chance(0.2))) {
    // fixture: conditions.yaml (stage when), variables-at-use.yaml (a condition on an earlier stage's output)
    const w: Record<string, Node | undefined> = {
      pipelineStatus: g.weighted([
        ['Success', 6],
        ['All', 2],
        ['Failure', 1],
      ]),
    };
    if (g.chance(0.6)) w['condition'] = condition(g, { ancestors, stage: sid }, true);
    o['when'] = map(w);
    g.feat('stage-when');
  }
  if (strat) o['strategy'] = strat.node;
  if (g.chance(0.25)) o['tags'] = map({});
  if (g.chance(0.08)) o['timeout'] = g.pick(['1h', '2h', '30m']);
  if (g.chance(0.05)) o['delegateSelectors'] = seq(['k8s-delegate']);
  return { node: map({ stage: map(o) }), id: sid };
}

/** Deployment stage (doc "Kubernetes deployment tutorial": service, environment, K8sRollingDeploy, rollbackSteps). */
export function deploymentSpec(g: Gen, ctx: Ctx): MapNode {
  const steps: Node[] = [];
  steps.push(stepNode(g, ctx, 'K8sRollingDeploy', map({ skipDryRun: false, pruningEnabled: false }), '10m'));
  for (let i = g.int(0, 2); i > 0; i--) steps.push(...stepList(g, ctx, 'cd', 1));
  return map({
    deploymentType: 'Kubernetes',
    service: map({ serviceRef: g.pick(['payments_svc', 'web']), serviceInputs: g.chance(0.3) ? '<+input>' : undefined }),
    environment: map({
      environmentRef: g.pick(['dev', 'prod', '<+input>']),
      deployToAll: false,
      infrastructureDefinitions: seq([map({ identifier: g.pick(['k8s_dev', 'k8s_prod']) })]),
    }),
    execution: map({
      steps: seq(steps),
      rollbackSteps: seq([
        map({
          step: map({
            name: 'Rollback',
            identifier: g.ident(`steps:${ctx.stage}`, 'rollback'),
            type: 'K8sRollingRollback',
            timeout: '10m',
            spec: map({ pruningEnabled: false }),
          }),
        }),
      ]),
    }),
  });
}

/** Approval stage (doc "Add a Harness Approval stage": HarnessApproval with approvers). */
export function approvalSpec(g: Gen, ctx: Ctx): MapNode {
  const approval = stepNode(
    g,
    ctx,
    'HarnessApproval',
    map({
      approvalMessage: 'Please review the following information and approve the pipeline progression',
      includePipelineExecutionHistory: true,
      approvers: map({ userGroups: seq(['account._account_all_users']), minimumCount: 1, disallowPipelineExecutor: false }),
      approverInputs: seq([]),
      isAutoRejectEnabled: g.chance(0.3) ? false : undefined,
    }),
    g.pick(['1d', '12h']),
  );
  const steps = [approval];
  if (g.chance(0.2))
    steps.push(
      stepNode(
        g,
        ctx,
        'JiraApproval',
        map({
          connectorRef: 'jira',
          projectKey: 'OPS',
          issueKey: '<+input>',
          issueType: 'Task',
          approvalCriteria: map({
            type: 'KeyValues',
            spec: map({ matchAnyCondition: true, conditions: seq([map({ key: 'Status', operator: 'equals', value: 'Done' })]) }),
          }),
          rejectionCriteria: map({ type: 'KeyValues', spec: map({ matchAnyCondition: true, conditions: seq([]) }) }),
        }),
        '1d',
      ),
    );
  return map({ execution: map({ steps: seq(steps) }) });
}

/** A plain `- step:` element of a type whose spec is opaque to pipewright. */
export function stepNode(g: Gen, ctx: Ctx, type: string, spec: Node, timeout?: string): Node {
  const id = g.ident(
    `steps:${ctx.stage}`,
    type.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase()),
  );
  return map({ step: map({ name: g.nameFor(id), identifier: id, type, timeout, spec }) });
}
