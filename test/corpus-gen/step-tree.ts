/**
 * The shape of a step list for the corpus generator: steps, parallel blocks and nested
 * step groups (with strategies, `when`, containerized infrastructure), and which outputs
 * each adds to what later nodes may reference.
 */
import { when } from './conditions.js';
import { failureStrategies } from './failure-strategies.js';
import type { Gen } from './gen.js';
import { duration } from './inputs.js';
import type { Ctx, Output, Strat } from './model.js';
import { step } from './steps.js';
import { strategy } from './strategies.js';
import { map, seq, type Node } from './yaml-emit.js';

/**
 * A list of step elements (fixture: nesting.yaml — parallel under steps, step groups
 * nesting parallel blocks and groups; corpus: currentStateSamples step groups).
 */
export function stepList(g: Gen, ctx: Ctx, flavour: 'ci' | 'custom' | 'cd', n: number): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < n; i++) {
    const kind = g.weighted<'step' | 'parallel' | 'group'>([
      ['step', 7],
      ['parallel', ctx.depth < 3 ? 1.5 : 0],
      ['group', ctx.depth < 3 ? 1.5 : 0],
    ]);
    if (kind === 'step') {
      const { node, outputs } = step(g, ctx, flavour);
      out.push(node);
      ctx.before.push(...outputs);
    } else if (kind === 'parallel') {
      g.feat('parallel-steps');
      const produced: Output[] = [];
      const children: Node[] = [];
      for (let j = g.int(2, 3); j > 0; j--) {
        if (ctx.depth < 2 && g.chance(0.2)) {
          const child = { ...ctx, before: [...ctx.before], depth: ctx.depth + 1 };
          children.push(group(g, child, flavour));
          produced.push(...child.before.filter((o) => !ctx.before.includes(o)));
        } else {
          const { node, outputs } = step(g, ctx, flavour);
          children.push(node);
          produced.push(...outputs);
        }
      }
      out.push(map({ parallel: seq(children) }));
      ctx.before.push(...produced);
    } else {
      const child = { ...ctx, before: [...ctx.before], depth: ctx.depth + 1 };
      out.push(group(g, child, flavour));
      ctx.before.push(...child.before.filter((o) => !ctx.before.includes(o)));
    }
  }
  return out;
}

/**
 * A step group (harness-core StepGroupElementConfig: identifier, name, steps, when,
 * failureStrategies, delegateSelectors, strategy, stepGroupInfra; fixture: nesting.yaml).
 * `ctx` is the group's own copy; its `before` ends up holding what later nodes may use.
 */
export function group(g: Gen, ctx: Ctx, flavour: 'ci' | 'custom' | 'cd'): Node {
  g.feat(`step-group-depth-${ctx.depth}`);
  const gid = g.ident(
    `steps:${ctx.stage}`,
    g.pick(['checks', 'tests', 'quality', 'release_steps', 'infra', 'verify_group', 'parallel_suite']),
  );
  const o: Record<string, Node | undefined> = { name: g.nameFor(gid), identifier: gid };
  let strat: { node: Node; strat: Strat } | undefined;
  if (g.chance(0.12)) strat = strategy(g, 'group');
  const inner: Ctx = {
    ...ctx,
    groupPath: [...ctx.groupPath, gid],
    before: [...ctx.before],
    nodeCopied: ctx.nodeCopied || !!strat,
    ...(strat ? { strat: strat.strat } : {}),
  };
  let innerFlavour = flavour;
  if (flavour !== 'ci' && ctx.depth === 1 && g.chance(0.3)) {
    // doc "Containerize step groups": Custom/Deploy stages run Run steps in a group with stepGroupInfra
    o['stepGroupInfra'] = map({ type: 'KubernetesDirect', spec: map({ connectorRef: 'account.k8s', namespace: 'cd-steps' }) });
    inner.needsImage = true;
    innerFlavour = 'ci';
    g.feat('containerized-step-group');
  }
  const outer = ctx.before.length;
  o['steps'] = seq(stepList(g, inner, innerFlavour, g.int(1, 3)));
  if (g.chance(0.2)) o['when'] = when(g, ctx);
  if (g.chance(0.2)) o['failureStrategies'] = failureStrategies(g, 'group');
  if (strat) o['strategy'] = strat.node;
  if (g.chance(0.15)) o['timeout'] = duration(g);
  if (g.chance(0.05)) o['delegateSelectors'] = seq(['k8s-delegate']);
  // Outputs inside a copied group are not addressable from outside it.
  if (!inner.nodeCopied) ctx.before.push(...inner.before.slice(outer));
  return map({ stepGroup: map(o) });
}
