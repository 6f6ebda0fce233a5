/**
 * Expressions of the corpus generator: `<+...>` references valid at a node (pipeline and
 * stage variables, step outputs in the same or an earlier stage, strategy values, secrets,
 * nested expressions) for commands, env values and other fields.
 */
import type { Gen } from './gen.js';
import type { Ctx, Output, PVar } from './model.js';

/** Output references valid at `ctx` (same stage, earlier; or an earlier, uncopied stage). */
export function outputRefs(g: Gen, ctx: Ctx): string[] {
  const out: string[] = [];
  const full = (o: Output) => `${o.path.join('.steps.')}.output.outputVariables.${o.name}`;
  for (const o of ctx.before) {
    // fixture: variables-at-use.yaml (execution.steps), README "Expressions" (steps., stepGroup.)
    out.push(`<+execution.steps.${full(o)}>`);
    if (ctx.groupPath.length === 0) out.push(`<+steps.${full(o)}>`);
    const inGroup =
      ctx.groupPath.length > 0 && o.path.length === ctx.groupPath.length + 1 && ctx.groupPath.every((gid, i) => o.path[i] === gid);
    if (inGroup) out.push(`<+stepGroup.steps.${o.path[o.path.length - 1]}.output.outputVariables.${o.name}>`);
    if (!ctx.copied && g.addressable.has(o.stage)) out.push(`<+pipeline.stages.${o.stage}.spec.execution.steps.${full(o)}>`);
  }
  for (const o of crossOutputs(g, ctx)) out.push(`<+pipeline.stages.${o.stage}.spec.execution.steps.${full(o)}>`);
  return out;
}

/** Outputs of earlier stages whose steps may be addressed (references across stages). */
export function crossOutputs(g: Gen, ctx: { ancestors: Set<string> }): Output[] {
  const out: Output[] = [];
  for (const s of ctx.ancestors) if (g.addressable.has(s)) out.push(...(g.stageOutputs.get(s) ?? []));
  return out;
}

/** Pipeline variables usable in `ctx` (a variable holding an output only after its stage). */
export function vars(g: Gen, ctx: { ancestors: Set<string> }, pred: (v: PVar) => boolean = () => true): PVar[] {
  return g.pvars.filter((v) => (v.afterStage === undefined || ctx.ancestors.has(v.afterStage)) && pred(v));
}

/** An expression for a command or env value (README "Expressions"; corpus: currentStateSamples `<+pipeline.sequenceId>`). */
export function expr(g: Gen, ctx: Ctx): string {
  const options: (() => string | undefined)[] = [
    () => {
      const v = vars(g, ctx);
      return v.length ? `<+pipeline.variables.${g.pick(v).name}>` : undefined;
    },
    () => (ctx.stageVars.length ? `<+stage.variables.${g.pick(ctx.stageVars)}>` : undefined),
    () => {
      // fixture: nested-expressions.yaml (pipeline.stages.S.variables.X)
      const stages = [ctx.stage, ...ctx.ancestors].filter(
        (s) => (g.stageVarsOf.get(s) ?? []).length && (s !== ctx.stage || !ctx.copied) && g.addressable.has(s),
      );
      if (!stages.length) return undefined;
      const s = g.pick(stages);
      return `<+pipeline.stages.${s}.variables.${g.pick(g.stageVarsOf.get(s)!)}>`;
    },
    () =>
      g.pick([
        '<+pipeline.sequenceId>',
        '<+pipeline.executionId>',
        '<+codebase.commitSha>',
        '<+codebase.branch>',
        '<+pipeline.name>',
        '<+pipeline.identifier>',
        '<+stage.name>',
        '<+stage.identifier>',
        '<+step.name>',
        '<+trigger.event>',
        '<+pipeline.triggeredBy.name>',
      ]),
    () => {
      const refs = outputRefs(g, ctx);
      if (!refs.length) return undefined;
      g.feat('output-ref');
      return g.pick(refs);
    },
    () => strategyExpr(g, ctx),
    () => {
      const v = vars(g, ctx, (x) => x.type === 'String' && x.known && !!x.list);
      if (!v.length) return undefined;
      g.feat('nested-expression');
      // fixture: nested-expressions.yaml (<+<+pipeline.variables.services>.split(',')>)
      return `<+<+pipeline.variables.${g.pick(v).name}>.${g.pick(['split(",")', "split(',')", 'toUpperCase()', 'toLowerCase()', 'length()'])}>`;
    },
    () => `<+secrets.getValue("${g.pick(['docker_password', 'sonar_token', 'npm_token', 'github_pat'])}")>`,
  ];
  for (let i = 0; i < 6; i++) {
    const s = g.pick(options)();
    if (s) return s;
  }
  return '<+pipeline.sequenceId>';
}

/** `<+matrix.x>`, `<+repeat.item>`, `<+strategy.iteration>` from the nearest strategy. */
export function strategyExpr(g: Gen, ctx: Ctx): string | undefined {
  const s = ctx.strat;
  if (!s) return undefined;
  if (s.kind === 'matrix') return `<+${g.chance(0.8) ? 'matrix' : 'strategy.matrix'}.${g.pick(s.axes)}>`;
  if (s.kind === 'repeat' && s.items && g.chance(0.7)) return '<+repeat.item>';
  return g.pick(['<+strategy.iteration>', '<+strategy.iterations>', '<+strategy.identifierPostFix>']);
}
