/**
 * The scope model of the corpus generator: what is in scope where, so that generated
 * expressions are valid — the outputs steps declare, the pipeline variables, the nearest
 * strategy, and the context (`Ctx`) of the node being generated.
 */

/** An output variable a step declares: `path` is the group ids then the step id, from the stage's execution. */
export interface Output {
  stage: string;
  path: string[];
  name: string;
}
/** A pipeline variable, and what is known of its value. */
export interface PVar {
  name: string;
  type: 'String' | 'Number' | 'Secret';
  /** A value known at compile time (a literal or an input with a default). */
  known: boolean;
  /** Holds a comma list (usable with split). */
  list?: boolean;
  /** A variable whose value is a step output: usable only in stages after that step's stage. */
  afterStage?: string;
  /** An open runtime input with a modifier and no default (see KNOWN_GAPS.openInputWithModifierInCondition). */
  openModified?: boolean;
}
/** The nearest strategy around a node. */
export type Strat = { kind: 'matrix'; axes: string[] } | { kind: 'repeat'; items: boolean } | { kind: 'parallelism' };

export interface Ctx {
  stage: string;
  stageType: string;
  /** Stages that finish before this one (output references across stages). */
  ancestors: Set<string>;
  /** Stage variables of this stage. */
  stageVars: string[];
  /** Outputs of this stage that run before the current node. */
  before: Output[];
  /** Group ids from the stage's execution to the current list. */
  groupPath: string[];
  /** The nearest strategy (matrix axes, repeat, parallelism), if any. */
  strat?: Strat;
  /** True when the stage is copied by a strategy (its steps are not addressable from other stages). */
  copied: boolean;
  /** True when a group around the node, or the node itself, is copied (its outputs are not addressable). */
  nodeCopied: boolean;
  /** Infrastructure that needs an image on every container step (Kubernetes, containerized group). */
  needsImage: boolean;
  depth: number;
}
