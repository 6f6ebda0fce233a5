/**
 * The plan's steps known so far, and the one question output references ask of them: which
 * step `<+steps.S.output.outputVariables.N>` (or `<+pipeline.stages.X.spec.execution...>`)
 * names, or why it cannot be named from here — not found, later or parallel, copied by the
 * run, or declaring no such output.
 */
import type { PlanStep } from '../../schemas/index.js';
import { PLACEHOLDER_STEP_TYPE } from '../templates/expand.js';
import type { Ancestry } from './drafts.js';

/** Step types whose outputs are whatever they write while running, not declared ones. */
const WRITES_OWN_OUTPUTS = new Set(['Plugin', 'Action', 'Bitrise']);

export class KnownSteps {
  /** Built steps, by id. */
  readonly byId = new Map<string, PlanStep>();
  /** Ids of the steps of the stage being built (drafted, not yet built). */
  pending = new Set<string>();
  /** For each stage, the stages that run before it. */
  readonly stageAncestors = new Map<string, Set<string>>();
  /** Stages the run copies (their strategy is decided at run time). */
  readonly copiedStages = new Set<string>();

  /** Finds the plan step an output reference points to, or explains why it cannot. */
  resolve(
    path: string[],
    name: string,
    crossStage: string | undefined,
    stageId: string | undefined,
    groupPath: string[],
    ancestors?: Ancestry,
  ): { step: string } | { error: string } {
    const stage = crossStage ?? stageId;
    if (!stage) return { error: `output reference outside a stage` };
    const ref = `steps.${path.join('.steps.')}.output.outputVariables.${name}`;
    let candidates: string[];
    if (path.length > 1) candidates = [`${stage}.${path.join('.')}`].filter((id) => this.byId.has(id) || this.pending.has(id));
    else {
      const all = [...this.byId.keys(), ...this.pending].filter((id) => id.startsWith(`${stage}.`) && id.endsWith(`.${path[0]}`));
      // Closest first: a step in the same group wins over one elsewhere in the stage.
      const prefix = [stage, ...groupPath].join('.');
      candidates = [...new Set(all)].sort((a, b) => Number(!a.startsWith(prefix)) - Number(!b.startsWith(prefix)));
    }
    if (candidates.length === 0) {
      // Inside a template no source had (--partial): what it holds is unknown, so is this.
      for (let k = path.length - 1; k >= 0; k--) {
        const id = [stage, ...path.slice(0, k), 'template'].join('.');
        if (this.byId.get(id)?.type === PLACEHOLDER_STEP_TYPE) return { step: id };
      }
      return { error: `${ref}: no step '${path.join('.')}' in stage ${stage}` };
    }
    const id = candidates[0]!;
    if (crossStage && crossStage !== stageId) {
      if (this.copiedStages.has(crossStage))
        return {
          error: `${ref}: stage ${crossStage} is made into copies by the run (its strategy is decided at run time); no one copy's output can be named here`,
        };
      const before = this.stageAncestors.get(stageId ?? '') ?? new Set();
      if (!before.has(crossStage)) return { error: `${ref}: stage ${crossStage} does not run before stage ${stageId}` };
    } else if (ancestors && !ancestors.has(id)) {
      return { error: `${ref}: step ${id} does not run before this step (it is later or in parallel)` };
    }
    const target = this.byId.get(id);
    // Within the copied group itself a step's outputs are its own copy's: the run names them.
    const here = [stageId, ...groupPath].join('.');
    const inside = target?.strategyOf !== undefined && (here === target.strategyOf || here.startsWith(`${target.strategyOf}.`));
    if (target?.strategy && !inside)
      return {
        error: `${ref}: step ${id} is made into copies by the run (its strategy is decided at run time); no one copy's output can be named here`,
      };
    // Plugin-style steps declare no outputs: they write them while running ($DRONE_OUTPUT).
    if (target && target.kind === 'run' && !WRITES_OWN_OUTPUTS.has(target.type) && !(target.outputs ?? []).includes(name)) {
      return {
        error: `${ref}: step ${id} declares no output variable '${name}'${target.outputs?.length ? ` (it has: ${target.outputs.join(', ')})` : ''}`,
      };
    }
    return { step: id };
  }
}
