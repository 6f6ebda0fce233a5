/**
 * What the passes over a stage's steps (`step-drafts.ts`, `step-build.ts`) use of the
 * flattener: where to report, how to locate, the steps known so far and how to build a
 * substitution context in a scope.
 */
import type { PlanRef } from '../../schemas/index.js';
import type { DiagnosticBag, Location } from '../diagnostics.js';
import type { ExprScope } from '../expressions/expressions.js';
import type { Positions } from '../yaml/index.js';
import type { Ancestry } from './drafts.js';
import type { KnownSteps } from './output-references.js';
import type { BuildContext } from './steps.js';

export interface FlattenContext {
  readonly bag: DiagnosticBag;
  readonly positions: Positions;
  /** The pipeline file, for locations of nodes without a position. */
  readonly file: string;
  readonly known: KnownSteps;
  /** Location of a node (its position, else the file's first line). */
  loc(node: unknown): Location;
  /** The context substitution needs in `scope`, collecting runtime references in `refs`. */
  buildCtx(
    scope: ExprScope,
    at: Location,
    refs: Map<string, PlanRef>,
    stageId: string | undefined,
    groupPath: string[],
    selfNeeds?: Ancestry,
  ): BuildContext;
  /** A node's strategy with its static expressions resolved. */
  staticStrategy(node: Record<string, unknown>, scope: ExprScope, stageId: string | undefined): unknown;
  /** Reports a strategy problem that is only a warning. */
  readonly strategyWarning: (message: string, at: Location) => void;
}
