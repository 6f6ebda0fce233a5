/**
 * The first pass over a stage's steps: step groups, parallel blocks and static strategies
 * become drafts — one per plan step, with its id, its needs and what it inherits (conditions,
 * failure strategies, strategy values) — counted against the plan's limits as they are made.
 */
import { Codes } from '../diagnostics.js';
import type { ExprScope } from '../expressions/expressions.js';
import { MAX_PLAN_NEEDS, MAX_PLAN_STEPS } from '../size-budget.js';
import { annotations } from '../templates/annotations.js';
import { unwrap } from '../templates/elements.js';
import { textOf } from '../text.js';
import { IDENTIFIER, type Draft, type GroupCtx } from './drafts.js';
import type { FlattenContext } from './flatten-context.js';
import { failureOf, substituteAt } from './steps.js';
import { expandStrategy, type StrategyCopy } from './strategy.js';

type Obj = Record<string, unknown>;

export class StepDrafter {
  /** Step copies drafted so far, and the needs they hold (bounded by admitDraft). */
  private drafted = 0;
  private neededBy = 0;
  private draftsFull = false;

  constructor(private readonly f: FlattenContext) {}

  /** Flattens step elements; returns the ids that finish the list. */
  elements(list: unknown[], needs: string[], g: GroupCtx, drafts: Draft[]): string[] {
    let prev = needs;
    for (const el of list) {
      if (el === null) continue;
      const w = unwrap(el);
      if (!w) {
        this.f.bag.error(
          Codes.SCHEMA,
          `a step list element must be a step, stepGroup or parallel, not ${JSON.stringify(el)}`,
          this.f.positions.at(list, list.indexOf(el), { file: this.f.file, line: 1, column: 1 }),
        );
        continue;
      }
      if (w.node === null) continue;
      if (w.kind === 'parallel') {
        const exits: string[] = [];
        for (const child of Array.isArray(w.node) ? (w.node as unknown[]) : [])
          for (const id of this.elements([child], prev, g, drafts)) exits.push(id);
        prev = exits.length ? exits : prev;
        continue;
      }
      const node = w.node;
      const ann = annotations.get(node) ?? annotations.get(el) ?? g.ann;
      const at = this.f.loc(node);
      const exp = this.f.bag.guard(() =>
        expandStrategy(
          this.f.staticStrategy(node, g.scope, g.stageId),
          this.f.positions.at(node, 'strategy', at),
          this.f.positions,
          this.f.strategyWarning,
        ),
      );
      if (!exp) continue;
      // A step's or step group's matrix, parallelism or repeat list is expanded by the run; other
      // forms (repeat over a percentage of hosts), and one inside another, are not: one copy, said.
      const byRun = exp.kind === 'dynamic' && exp.byRun && !g.runtime;
      if (exp.kind === 'dynamic' && !byRun)
        this.f.bag.warn(
          Codes.DYNAMIC_STRATEGY,
          `${w.kind === 'stepGroup' ? 'step group ' : ''}strategy is decided at run time (${exp.reason})${g.runtime ? ` inside ${g.runtime.unit}, whose strategy is too` : ''}; compiled as one copy`,
          this.f.positions.at(node, 'strategy', at),
        );
      const copies: (StrategyCopy | undefined)[] = exp.kind === 'static' ? exp.copies : [undefined];
      const exits: string[] = [];
      const whens = node['when'] !== undefined && node['when'] !== null ? [...g.whens, node] : g.whens;
      const failure = this.f.bag.guard(() => failureOf(node['failureStrategies'], node, { at, positions: this.f.positions })) ?? g.failure;
      const copyExits: string[][] = [];
      for (const [k, copy] of copies.entries()) {
        if (this.draftsFull) return prev;
        const ident = this.identifier(node, g, copy);
        if (ident === undefined) continue;
        if (w.kind === 'stepGroup') {
          // maxConcurrency m between a group's copies: copy k starts after copy k - m ends.
          const m = exp.kind === 'static' ? exp.maxConcurrency : undefined;
          const start = m && k >= m && copyExits[k - m] ? [...prev, ...copyExits[k - m]!] : prev;
          const inner: GroupCtx = {
            stageId: g.stageId,
            scope: g.scope,
            groupPath: [...g.groupPath, ident],
            whens,
            ...(failure ? { failure } : {}),
            ann,
            ...(copy ? { strategy: copy } : g.strategy ? { strategy: g.strategy } : {}),
            ...(byRun
              ? { runtime: { unit: [g.stageId, ...g.groupPath, ident].join('.'), raw: exp.raw } }
              : g.runtime
                ? { runtime: g.runtime }
                : {}),
          };
          const children = Array.isArray(node['steps']) ? (node['steps'] as unknown[]) : [];
          const out = this.elements(children, start, inner, drafts);
          copyExits[k] = out;
          for (const id of out) exits.push(id);
        } else {
          if (!this.admitDraft(prev.length, node)) return prev;
          const id = [g.stageId, ...g.groupPath, ident].join('.');
          const d: Draft = {
            id,
            node,
            kind: 'step',
            needs: [...prev],
            groupPath: g.groupPath,
            whens,
            ann,
            ...(failure ? { failure } : {}),
          };
          const strat = copy ?? g.strategy;
          if (strat) d.strategy = strat;
          if (copy && exp.kind === 'static' && exp.maxConcurrency) d.maxConcurrency = exp.maxConcurrency;
          if (byRun && exp.kind === 'dynamic') d.dynamicStrategy = exp.raw;
          else if (g.runtime) {
            d.dynamicStrategy = g.runtime.raw;
            d.strategyOf = g.runtime.unit;
          }
          drafts.push(d);
          exits.push(id);
        }
      }
      prev = exits.length ? exits : prev;
    }
    return prev;
  }

  /**
   * The identifier of a node in a plan id: expressions in it resolved (`Approval<+stepGroup.identifierPostFix>`),
   * plus the strategy copy's suffix. Undefined (with PW2004) when the result is not an identifier.
   */
  private identifier(node: Obj, g: GroupCtx, copy: StrategyCopy | undefined): string | undefined {
    const written = node['identifier'];
    // Steps of stage types the schema does not look into (Deployment, ...) are checked here.
    if (written === undefined || written === null || written === '') {
      this.f.bag.error(Codes.REQUIRED_FIELD, `this step has no identifier`, this.f.loc(node));
      return undefined;
    }
    let raw = textOf(written);
    const expression = raw.includes('<+');
    if (expression) {
      const strat = copy ?? g.strategy;
      const scope: ExprScope = { ...g.scope, ...(strat ? { strategy: { ...strat.values, postfix: strat.suffix } } : {}) };
      raw = String(substituteAt(raw, node, 'identifier', this.f.buildCtx(scope, this.f.loc(node), new Map(), g.stageId, g.groupPath)));
    }
    if (!IDENTIFIER.test(raw)) {
      this.f.bag.error(
        Codes.INVALID_IDENTIFIER,
        expression
          ? `identifier resolves to '${raw}', which is not an identifier`
          : `'${raw}' is not an identifier (a letter or _, then letters, digits, _ or $)`,
        this.f.positions.at(node, 'identifier', this.f.loc(node)),
      );
      return undefined;
    }
    return raw + (copy?.suffix ?? '');
  }

  /**
   * Counts a step copy and its needs before anything is built from it: strategies nested in
   * groups multiply copies (100 × 100 × 100) and a step after N copies needs all N. False
   * (with one PW5003 at `node`) once past MAX_PLAN_STEPS or MAX_PLAN_NEEDS.
   */
  private admitDraft(needs: number, node: Obj): boolean {
    if (this.draftsFull) return false;
    this.drafted++;
    this.neededBy += needs;
    if (this.drafted <= MAX_PLAN_STEPS && this.neededBy <= MAX_PLAN_NEEDS) return true;
    this.draftsFull = true;
    const what =
      this.drafted > MAX_PLAN_STEPS ? `more than ${MAX_PLAN_STEPS} steps` : `more than ${MAX_PLAN_NEEDS} needs between its steps`;
    this.f.bag.error(Codes.EXPANSION_TOO_LARGE, `the plan would have ${what} (strategies or templates multiply them)`, this.f.loc(node));
    return false;
  }
}
