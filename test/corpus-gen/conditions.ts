/**
 * Conditions of the corpus generator: the `when` of stages, step groups and steps, and the
 * boolean expressions in them (operators, methods, ternaries, output, matrix and variable
 * references that are valid where the condition stands).
 */
import { crossOutputs, outputRefs, vars } from './expressions.js';
import type { Gen } from './gen.js';
import type { Ctx, PVar } from './model.js';
import { map, type MapNode, type Node } from './yaml-emit.js';

/** Whether a variable may appear in a condition: every one may (open inputs with modifiers too). */
export function conditionOk(_v: PVar): boolean {
  return true;
}

/**
 * A `when` condition (fixture: conditions.yaml, conditions-methods.yaml; corpus:
 * example-17 `(<+trigger.event> == "PUSH" || <+trigger.payload.ref> =^ "refs/tags/")`).
 */
export function condition(g: Gen, ctx: Ctx | { ancestors: Set<string>; stage?: string }, stageLevel = false): string | boolean {
  if (g.chance(0.08)) return g.pick(['true', 'false', '1==1']);
  if (g.chance(0.03)) return true;
  const atoms: string[] = [];
  const n = g.int(1, 3);
  for (let i = 0; i < n; i++) atoms.push(atom(g, ctx, stageLevel));
  let c = atoms[0]!;
  for (let i = 1; i < atoms.length; i++) c = g.chance(0.6) ? `${c} && ${atoms[i]}` : `(${c} || ${atoms[i]})`;
  if (g.chance(0.1)) c = `!(${c})`;
  if (g.chance(0.08)) {
    // fixture: conditions-methods.yaml — a ternary written as one expression around nested references
    g.feat('ternary');
    const v = vars(g, ctx, (x) => x.type === 'String' && x.known && conditionOk(x));
    if (v.length) return `<+<+pipeline.variables.${g.pick(v).name}>.contains("${g.pick(['dev', 'prod', 'eu'])}") ? true : false>`;
    return `${c} ? true : false`;
  }
  return c;
}

/** One comparison of a condition, valid where the condition stands. */
export function atom(g: Gen, ctx: Ctx | { ancestors: Set<string>; stage?: string }, stageLevel: boolean): string {
  const full = 'before' in ctx ? ctx : undefined;
  const kinds: (() => string | undefined)[] = [
    () => `<+codebase.branch> == "${g.pick(['main', 'master', 'develop'])}"`,
    () => `<+trigger.event> ${g.pick(['==', '!='])} "${g.pick(['PR', 'PUSH', 'TAG'])}"`,
    () => `<+codebase.branch> =~ "^release/"`,
    () => `<+trigger.payload.ref> =^ "refs/tags/"`,
    () => `<+pipeline.sequenceId> > ${g.int(1, 50)}`,
    () => {
      const v = vars(g, ctx, (x) => x.type === 'String' && conditionOk(x));
      if (!v.length) return undefined;
      const pv = g.pick(v);
      const name = pv.name;
      if (pv.openModified) g.feat('open-input-modifier-in-condition');
      g.feat('condition-method');
      return g.pick([
        `<+pipeline.variables.${name}> == "${g.pick(['dev', 'prod', 'eu'])}"`,
        `<+pipeline.variables.${name}> != ""`,
        `<+pipeline.variables.${name}>.contains("${g.pick(['dev', 'prod', 'x'])}")`,
        `<+pipeline.variables.${name}>.startsWith("${g.pick(['re', 'de', 'p'])}")`,
        `<+pipeline.variables.${name}>.equalsIgnoreCase("PROD")`,
        `<+pipeline.variables.${name}>.toLowerCase() == "dev"`,
        `<+pipeline.variables.${name}>.split(",").size() > 1`,
        `!<+pipeline.variables.${name}>.isEmpty()`,
        `<+pipeline.variables.${name}> =$ "-eu"`,
      ]);
    },
    () => {
      const v = vars(g, ctx, (x) => x.type === 'Number' && x.known && conditionOk(x));
      return v.length ? `<+pipeline.variables.${g.pick(v).name}> ${g.pick(['>', '>=', '<', '=='])} ${g.int(0, 5)}` : undefined;
    },
    () => {
      const sv = full ? full.stageVars : [];
      return sv.length ? `<+stage.variables.${g.pick(sv)}> != "skip"` : undefined;
    },
    () => {
      const refs = full
        ? outputRefs(g, full)
        : crossOutputs(g, ctx).map(
            (o) => `<+pipeline.stages.${o.stage}.spec.execution.steps.${o.path.join('.steps.')}.output.outputVariables.${o.name}>`,
          );
      if (!refs.length) return undefined;
      g.feat(stageLevel ? 'stage-condition-output-ref' : 'condition-output-ref');
      return `${g.pick(refs)} == "${g.pick(['true', 'ok', '1'])}"`;
    },
    () => {
      const s = full?.strat;
      if (s?.kind !== 'matrix') return undefined;
      g.feat('condition-matrix');
      return `<+matrix.${g.pick(s.axes)}> != "${g.pick(['windows', 'arm64', 'x'])}"`;
    },
  ];
  for (let i = 0; i < 6; i++) {
    const a = g.pick(kinds)();
    if (a) return a;
  }
  return `<+codebase.branch> == "main"`;
}

/** Step `when` (corpus: _test1.yaml stageStatus All / Success + condition "true" / Failure). */
export function when(g: Gen, ctx: Ctx): MapNode {
  g.feat('step-when');
  const w: Record<string, Node | undefined> = {
    stageStatus: g.weighted([
      ['Success', 6],
      ['All', 2],
      ['Failure', 1],
    ]),
  };
  if (g.chance(0.7)) w['condition'] = g.chance(0.03) ? '<+input>' : condition(g, ctx);
  return map(w);
}
