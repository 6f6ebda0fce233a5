/**
 * The flattener's working records: a step drafted in a stage's first pass (`Draft`), the
 * enclosing step group's context (`GroupCtx`), and the questions asked of them (what runs
 * before a step, what a copy's strategy values are).
 */
import type { FailureRule } from '../../schemas/index.js';
import type { ExprScope } from '../expressions/expressions.js';
import type { Annotation } from '../templates/annotations.js';
import type { StrategyCopy } from './strategy.js';

type Obj = Record<string, unknown>;

/** A Harness identifier: a letter or _, then up to 127 letters, digits, _ or $. */
export const IDENTIFIER = /^[a-zA-Z_][0-9a-zA-Z_$]{0,127}$/;

/** Per-step state between the two passes of a stage. */
export interface Draft {
  id: string;
  node: Obj;
  kind: 'step' | 'service';
  needs: string[];
  groupPath: string[];
  /** `when` nodes of the enclosing groups, outermost first, then the step's own. */
  whens: Obj[];
  failure?: FailureRule[];
  ann: Annotation | undefined;
  strategy?: StrategyCopy;
  maxConcurrency?: number;
  dynamicStrategy?: Obj;
  /** The step group whose run-time strategy this step's copies come from (not the step's own). */
  strategyOf?: string;
}

export interface GroupCtx {
  stageId: string;
  scope: ExprScope;
  groupPath: string[];
  whens: Obj[];
  failure?: FailureRule[];
  ann: Annotation | undefined;
  strategy?: StrategyCopy;
  /** An enclosing step group whose strategy only the run can expand. */
  runtime?: { unit: string; raw: Obj };
}

/** The steps that run before a step: asked one at a time. */
export interface Ancestry {
  has(id: string): boolean;
}

/** Whether `target` is a transitive dependency of `step` in `needsOf`. */
export function runsBefore(needsOf: Map<string, string[]>, target: string, step: string): boolean {
  const seen = new Set<string>();
  const stack = [...(needsOf.get(step) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of needsOf.get(n) ?? []) stack.push(m);
  }
  return false;
}

/**
 * What `<+matrix.*>` and `<+strategy.*>` mean in a step: its copy's values — but in a step
 * whose own strategy only the run expands, `<+strategy.iteration>` & co. are that strategy's,
 * so only the outer copy's matrix axes it does not redefine are known now.
 */
export function outerValues(d: Draft): NonNullable<ExprScope['strategy']> {
  const copy = d.strategy!;
  if (!d.dynamicStrategy || d.strategyOf) return { ...copy.values, postfix: copy.suffix };
  const inner = d.dynamicStrategy['matrix'];
  const redefined = new Set(inner && typeof inner === 'object' ? Object.keys(inner) : []);
  const matrix = Object.fromEntries(Object.entries(copy.values.matrix ?? {}).filter(([k]) => !redefined.has(k)));
  return { matrix, byRun: true };
}
