/**
 * Flattening: the expanded pipeline becomes the plan's stages and steps. Parallel blocks,
 * step groups, services and static strategies disappear into `needs` edges and ids
 * (`stage.step`, `stage.group.step`, `build_0_1` for strategy copies); every step records
 * where it came from.
 */
import { textOf } from '../text.js';
import {
  isExecuted,
  type FailureRule,
  type Origin,
  type PlanRef,
  type PlanStage,
  type PlanStep,
  type PlanWhen,
} from '../../schemas/index.js';
import { Codes, DiagnosticBag, type Location } from '../diagnostics.js';
import { unwrap } from '../templates/elements.js';
import { annotations, isRootAnnotation, type Annotation } from '../templates/annotations.js';
import type { ExprScope } from '../expressions/expressions.js';
import { combineWhen, deepSubstitute, failureOf, substituteAt, timeoutOf, whenOf, type BuildContext } from './steps.js';
import { buildStep } from './step-builders.js';
import { copyCollisions, expandStrategy, type StrategyCopy } from './strategy.js';
import { setOwn } from '../own.js';
import { PLACEHOLDER_STEP_TYPE } from '../templates/expand.js';
import { stageReferences, type OpaqueResolutions } from '../templates/opaque-references.js';
import { MAX_PLAN_NEEDS, MAX_PLAN_STEPS, PlanBudget } from '../size-budget.js';
import { collectStages, infrastructureOf, variablesOf } from '../expressions/pipeline-scope.js';
import type { SubstituteSink } from '../expressions/substitute.js';
import type { Positions } from '../yaml/index.js';

type Obj = Record<string, unknown>;

export interface FlattenResult {
  stages: PlanStage[];
  steps: PlanStep[];
  variables: Record<string, string | number | boolean>;
}

/** Per-step state between the two passes of a stage. */
interface Draft {
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

interface GroupCtx {
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
interface Ancestry {
  has(id: string): boolean;
}

/** Whether `target` is a transitive dependency of `step` in `needsOf`. */
function runsBefore(needsOf: Map<string, string[]>, target: string, step: string): boolean {
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
function outerValues(d: Draft): NonNullable<ExprScope['strategy']> {
  const copy = d.strategy!;
  if (!d.dynamicStrategy || d.strategyOf) return { ...copy.values, postfix: copy.suffix };
  const inner = d.dynamicStrategy['matrix'];
  const redefined = new Set(inner && typeof inner === 'object' ? Object.keys(inner) : []);
  const matrix = Object.fromEntries(Object.entries(copy.values.matrix ?? {}).filter(([k]) => !redefined.has(k)));
  return { matrix, byRun: true };
}

/** A Harness identifier: a letter or _, then up to 127 letters, digits, _ or $. */
const IDENTIFIER = /^[a-zA-Z_][0-9a-zA-Z_$]{0,127}$/;

/** Step types whose outputs are whatever they write while running, not declared ones. */
const WRITES_OWN_OUTPUTS = new Set(['Plugin', 'Action', 'Bitrise']);

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Flattens an expanded pipeline node (`root.pipeline`). */
export function flattenPipeline(
  pipeline: Obj,
  file: string,
  bag: DiagnosticBag,
  positions: Positions,
  options: { openVariables?: readonly ('pipeline' | 'stage')[]; opaque?: OpaqueResolutions } = {},
): FlattenResult {
  const fallback: Location = { file, line: 1, column: 1 };
  const at = positions.of(pipeline, fallback);
  const secretVars = new Set<string>();
  const pipelineVars = variablesOf(pipeline['variables'], 'pipeline', secretVars);
  const stageInfo: ExprScope['pipeline']['stages'] = {};
  const pipelineScope: ExprScope['pipeline'] = {
    identifier: textOf(pipeline['identifier'] ?? ''),
    name: textOf(pipeline['name'] ?? pipeline['identifier'] ?? ''),
    variables: pipelineVars,
    stages: stageInfo,
    ...(options.openVariables ? { openVariables: options.openVariables } : {}),
  };
  collectStages(pipeline['stages'], stageInfo, secretVars);
  const flat = new Flattener(bag, file, pipelineScope, secretVars, positions, options.opaque);
  const variables = flat.staticVariables(pipelineVars, pipeline, 'pipeline');
  const stages = Array.isArray(pipeline['stages']) ? pipeline['stages'] : [];
  flat.stageElements(stages, [], undefined);
  for (const [stage, of] of copyCollisions(flat.stages)) {
    bag.error(
      Codes.DUPLICATE_IDENTIFIER,
      `stage ${stage.id} has the id of one of the copies of ${of.id}, which the run makes from its strategy: rename one`,
      stage.origin ? { file: stage.origin.file, line: stage.origin.line, column: stage.origin.column } : at,
    );
  }
  if (stages.length === 0) bag.error(Codes.EMPTY_PIPELINE, 'the pipeline has no stages', at);
  return { stages: flat.stages, steps: flat.steps, variables };
}

class Flattener {
  readonly stages: PlanStage[] = [];
  readonly steps: PlanStep[] = [];
  private readonly stageIds = new Set<string>();
  /** Bounds the plan's steps and bytes (PW5003): strategies and templates multiply them. */
  private readonly budget = new PlanBudget();
  /** Step copies drafted so far, and the needs they hold (bounded by admitDraft). */
  private drafted = 0;
  private neededBy = 0;
  private draftsFull = false;
  private readonly stepsById = new Map<string, PlanStep>();
  private readonly stageAncestors = new Map<string, Set<string>>();
  /** Stages the run copies (their strategy is decided at run time). */
  private readonly copiedStages = new Set<string>();

  constructor(
    private readonly bag: DiagnosticBag,
    private readonly file: string,
    private readonly pipelineScope: ExprScope['pipeline'],
    private readonly secretVars: Set<string>,
    private readonly positions: Positions,
    private readonly opaque: OpaqueResolutions | undefined,
  ) {}

  private loc(node: unknown): Location {
    return this.positions.of(node, { file: this.file, line: 1, column: 1 });
  }

  /** A strategy's tolerated shapes are warnings (PW2001) at their place. */
  private readonly strategyWarning = (message: string, at: Location): void => void this.bag.warn(Codes.SCHEMA, message, at);

  /**
   * Static values of a variables map, for the plan record (runtime ones stay as text). A
   * variable holding a step's output is checked where it is used, as Harness evaluates it
   * there: here it is kept as written, never an error.
   */
  staticVariables(vars: Record<string, unknown>, holder: Obj, where: string, scope?: ExprScope): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    const ctx = this.buildCtx(
      scope ?? { pipeline: this.pipelineScope, secretVars: this.secretVars },
      this.loc(holder),
      new Map(),
      undefined,
      [],
    );
    ctx.sink.output = () => ({ step: '' });
    for (const [k, v] of Object.entries(vars)) {
      if (this.secretVars.has(`${where}:${k}`)) {
        setOwn(out, k, `<+secrets.getValue("${String(v)}")>`);
        continue;
      }
      const r = typeof v === 'string' ? substituteAt(v, holder, 'variables', ctx) : v;
      setOwn(
        out,
        k,
        typeof r === 'number' || typeof r === 'boolean'
          ? r
          : r === null || r === undefined
            ? ''
            : typeof r === 'object'
              ? JSON.stringify(r)
              : textOf(r),
      );
    }
    return out;
  }

  private buildCtx(
    scope: ExprScope,
    at: Location,
    refs: Map<string, PlanRef>,
    stageId: string | undefined,
    groupPath: string[],
    selfNeeds?: Ancestry,
  ): BuildContext {
    const sink: SubstituteSink = {
      refs,
      problem: () => undefined,
      output: (path, name, crossStage) => this.resolveOutput(path, name, crossStage, stageId, groupPath, selfNeeds),
    };
    return { scope, sink, bag: this.bag, at, positions: this.positions };
  }

  /** Finds the plan step an output reference points to, or explains why it cannot. */
  private resolveOutput(
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
    if (path.length > 1) candidates = [`${stage}.${path.join('.')}`].filter((id) => this.stepsById.has(id) || this.pendingIds.has(id));
    else {
      const all = [...this.stepsById.keys(), ...this.pendingIds].filter((id) => id.startsWith(`${stage}.`) && id.endsWith(`.${path[0]}`));
      // Closest first: a step in the same group wins over one elsewhere in the stage.
      const prefix = [stage, ...groupPath].join('.');
      candidates = [...new Set(all)].sort((a, b) => Number(!a.startsWith(prefix)) - Number(!b.startsWith(prefix)));
    }
    if (candidates.length === 0) {
      // Inside a template no source had (--partial): what it holds is unknown, so is this.
      for (let k = path.length - 1; k >= 0; k--) {
        const id = [stage, ...path.slice(0, k), 'template'].join('.');
        if (this.stepsById.get(id)?.type === PLACEHOLDER_STEP_TYPE) return { step: id };
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
    const target = this.stepsById.get(id);
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

  private pendingIds = new Set<string>();

  /** Flattens a list of stage elements; returns the stage ids that finish the list. */
  stageElements(list: unknown[], needs: string[], ann: Annotation | undefined): string[] {
    let prev = needs;
    for (const el of list) {
      if (el === null) continue;
      const w = unwrap(el);
      if (!w) {
        this.bag.error(
          Codes.SCHEMA,
          `a stage list element must be a stage or parallel, not ${JSON.stringify(el)}`,
          this.positions.at(list, list.indexOf(el), { file: this.file, line: 1, column: 1 }),
        );
        continue;
      }
      if (w.kind === 'parallel') {
        const exits: string[] = [];
        for (const child of Array.isArray(w.node) ? (w.node as unknown[]) : []) exits.push(...this.stageElements([child], prev, ann));
        prev = exits.length ? exits : prev;
      } else if (w.kind === 'stage') {
        if (!w.node) continue;
        prev = this.stage(w.node, prev, annotations.get(w.node) ?? ann);
      }
    }
    return prev;
  }

  private stage(node: Obj, needs: string[], ann: Annotation | undefined): string[] {
    const at = this.loc(node);
    const scope0: ExprScope = { pipeline: this.pipelineScope, secretVars: this.secretVars };
    const exp = this.bag.guard(() =>
      expandStrategy(
        this.staticStrategy(node, scope0, undefined),
        this.positions.at(node, 'strategy', at),
        this.positions,
        this.strategyWarning,
      ),
    );
    if (!exp) return needs;
    const copies: (StrategyCopy | undefined)[] = exp.kind === 'static' ? exp.copies : [undefined];
    // A matrix, parallelism or repeat list only the run knows: the run copies the stage.
    if (exp.kind === 'dynamic' && !exp.byRun)
      this.bag.warn(
        Codes.DYNAMIC_STRATEGY,
        `stage strategy is decided at run time (${exp.reason}); compiled as one copy`,
        this.positions.at(node, 'strategy', at),
      );
    const runtime = exp.kind === 'dynamic' && exp.byRun ? exp.raw : undefined;
    // maxConcurrency m: copy k starts after copy k - m (stages run as their needs allow).
    const m = exp.kind === 'static' ? exp.maxConcurrency : undefined;
    const ids: (string | undefined)[] = [];
    copies.forEach((copy, k) => {
      const before = m && k >= m ? ids[k - m] : undefined;
      ids.push(this.stageCopy(node, before ? [...needs, before] : needs, ann, copy, runtime));
    });
    return ids.filter((x): x is string => !!x);
  }

  private stageCopy(
    node: Obj,
    needs: string[],
    ann: Annotation | undefined,
    copy: StrategyCopy | undefined,
    runtime?: Obj,
  ): string | undefined {
    if (this.budget.exceeded) return undefined;
    const at = this.loc(node);
    const baseId = textOf(node['identifier'] ?? '');
    const id = baseId + (copy?.suffix ?? '');
    if (this.stageIds.has(id)) {
      this.bag.error(Codes.DUPLICATE_IDENTIFIER, `duplicate stage identifier '${id}'`, this.positions.at(node, 'identifier', at));
      return undefined;
    }
    this.stageIds.add(id);
    const type = textOf(node['type'] ?? '');
    const spec = obj(node['spec']);
    const stageVarsRaw = this.pipelineScope.stages[baseId]?.variables ?? {};
    const scope: ExprScope = {
      pipeline: this.pipelineScope,
      stage: { identifier: id, name: textOf(node['name'] ?? id) + (copy?.suffix ?? ''), type, variables: stageVarsRaw },
      secretVars: this.secretVars,
      ...(copy ? { strategy: { ...copy.values, postfix: copy.suffix } } : {}),
    };
    const ctx = this.buildCtx(scope, at, new Map(), id, []);
    const stage: PlanStage = {
      id,
      name: scope.stage!.name,
      type,
      backend: 'host',
      needs: [...needs],
      variables: this.staticVariables(stageVarsRaw, node, `stage ${baseId}`, scope),
    };
    // The stages before this one are known before its condition is read: the condition may
    // use their outputs (directly or through a variable that holds one).
    const before = new Set<string>();
    for (const n of needs) {
      before.add(n);
      for (const a of this.stageAncestors.get(n) ?? []) before.add(a);
    }
    this.stageAncestors.set(id, before);
    const when = this.bag.guard(() => whenOf(node['when'], 'pipelineStatus', node, ctx));
    if (when) stage.when = when;
    if (runtime) {
      // Its expressions take the stage's scope: earlier stages' outputs are checked and listed.
      const strategy = this.bag.guard(() => deepSubstitute(runtime, ctx, node, 'strategy'));
      if (strategy && typeof strategy === 'object') stage.strategy = strategy as Obj;
      this.copiedStages.add(id);
    }
    if (ctx.sink.refs.size) stage.refs = [...ctx.sink.refs.values()];
    const failure = this.bag.guard(() => failureOf(node['failureStrategies'], node, { at, positions: this.positions }));
    if (failure) stage.failure = failure;
    const timeout = this.bag.guard(() => timeoutOf(node, ctx));
    if (timeout !== undefined) stage.timeoutMs = timeout;
    const infra = infrastructureOf(spec);
    if (infra) stage.infrastructure = infra;
    stage.origin = this.origin(node, ann);
    if (this.opaque) {
      const references = stageReferences(node, ann, this.opaque, (n, a) => this.origin(n, a), this.positions);
      if (references.length) stage.references = references;
    }
    if (!this.admit(stage, 'stage', node)) return undefined;
    this.stages.push(stage);

    // Pass 1: ids, needs, inherited when/failure; pass 2: bodies (outputs resolve then).
    const drafts: Draft[] = [];
    const services = Array.isArray(spec['serviceDependencies']) ? (spec['serviceDependencies'] as unknown[]) : [];
    const serviceIds: string[] = [];
    for (const svc of services) {
      const s = obj(svc);
      const sid = `${id}.${textOf(s['identifier'] ?? '')}`;
      serviceIds.push(sid);
      drafts.push({ id: sid, node: s, kind: 'service', needs: [], groupPath: [], whens: [], ann: annotations.get(svc) ?? ann });
    }
    const execution = obj(spec['execution']);
    const steps = Array.isArray(execution['steps']) ? (execution['steps'] as unknown[]) : [];
    const g: GroupCtx = {
      stageId: id,
      scope,
      groupPath: [],
      whens: [],
      ...(failure ? { failure } : {}),
      ann,
      ...(copy ? { strategy: copy } : {}),
    };
    this.stepElements(steps, serviceIds, g, drafts);
    if (steps.length === 0 && type === 'CI') this.bag.warn(Codes.EMPTY_PIPELINE, `stage ${id} has no steps`, at);

    this.pendingIds = new Set(drafts.map((d) => d.id));
    // Which steps run before a step is asked only for output references: walked then, from
    // the needs (a set per step made every long stage quadratic in time and memory).
    const needsOf = new Map(drafts.map((d) => [d.id, d.needs]));
    let usesImages = false;
    const built: PlanStep[] = [];
    for (const d of drafts) {
      const step = this.buildStep(d, scope, id, { has: (target) => runsBefore(needsOf, target, d.id) });
      if (!step) continue;
      if (!this.admit(step, 'step', d.node)) break;
      if (isExecuted(step) && step.image) usesImages = true;
      built.push(step);
      this.steps.push(step);
      this.stepsById.set(step.id, step);
    }
    this.pendingIds = new Set();
    for (const [step, of] of copyCollisions(built)) {
      this.bag.error(
        Codes.DUPLICATE_STEP_ID,
        `step ${step.id} has the id of one of the copies of ${of.strategyOf ?? of.id}, which the run makes from its strategy: rename one`,
        { file: step.origin.file, line: step.origin.line, column: step.origin.column },
      );
    }
    stage.backend = usesImages ? 'docker' : 'host';
    return id;
  }

  /** Flattens step elements; returns the ids that finish the list. */
  private stepElements(list: unknown[], needs: string[], g: GroupCtx, drafts: Draft[]): string[] {
    let prev = needs;
    for (const el of list) {
      if (el === null) continue;
      const w = unwrap(el);
      if (!w) {
        this.bag.error(
          Codes.SCHEMA,
          `a step list element must be a step, stepGroup or parallel, not ${JSON.stringify(el)}`,
          this.positions.at(list, list.indexOf(el), { file: this.file, line: 1, column: 1 }),
        );
        continue;
      }
      if (w.node === null) continue;
      if (w.kind === 'parallel') {
        const exits: string[] = [];
        for (const child of Array.isArray(w.node) ? (w.node as unknown[]) : [])
          for (const id of this.stepElements([child], prev, g, drafts)) exits.push(id);
        prev = exits.length ? exits : prev;
        continue;
      }
      const node = w.node;
      const ann = annotations.get(node) ?? annotations.get(el) ?? g.ann;
      const at = this.loc(node);
      const exp = this.bag.guard(() =>
        expandStrategy(
          this.staticStrategy(node, g.scope, g.stageId),
          this.positions.at(node, 'strategy', at),
          this.positions,
          this.strategyWarning,
        ),
      );
      if (!exp) continue;
      // A step's or step group's matrix, parallelism or repeat list is expanded by the run; other
      // forms (repeat over a percentage of hosts), and one inside another, are not: one copy, said.
      const byRun = exp.kind === 'dynamic' && exp.byRun && !g.runtime;
      if (exp.kind === 'dynamic' && !byRun)
        this.bag.warn(
          Codes.DYNAMIC_STRATEGY,
          `${w.kind === 'stepGroup' ? 'step group ' : ''}strategy is decided at run time (${exp.reason})${g.runtime ? ` inside ${g.runtime.unit}, whose strategy is too` : ''}; compiled as one copy`,
          this.positions.at(node, 'strategy', at),
        );
      const copies: (StrategyCopy | undefined)[] = exp.kind === 'static' ? exp.copies : [undefined];
      const exits: string[] = [];
      const whens = node['when'] !== undefined && node['when'] !== null ? [...g.whens, node] : g.whens;
      const failure = this.bag.guard(() => failureOf(node['failureStrategies'], node, { at, positions: this.positions })) ?? g.failure;
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
          const out = this.stepElements(children, start, inner, drafts);
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

  /** The node's strategy with static expressions resolved, so `<+<+pipeline.variables.x>.split(',')>` axes expand now. */
  private staticStrategy(node: Obj, scope: ExprScope, stageId: string | undefined): unknown {
    const raw = node['strategy'];
    if (!raw || typeof raw !== 'object' || !JSON.stringify(raw).includes('<+')) return raw;
    const ctx = this.buildCtx(scope, this.loc(node), new Map(), stageId, []);
    const walk = (v: unknown, holder: object, key: string | number): unknown => {
      if (typeof v === 'string') return v.includes('<+') ? substituteAt(v, holder, key, { ...ctx, bag: new DiagnosticBag() }) : v;
      // Copies keep their positions, so what a strategy says is located at its place.
      const copied = Array.isArray(v)
        ? v.map((x, i) => walk(x, v, i))
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, v, k)]))
          : v;
      if (copied !== v && copied && typeof copied === 'object') this.positions.copy(v as object, copied);
      return copied;
    };
    return walk(raw, node, 'strategy');
  }

  /**
   * The identifier of a node in a plan id: expressions in it resolved (`Approval<+stepGroup.identifierPostFix>`),
   * plus the strategy copy's suffix. Undefined (with PW2004) when the result is not an identifier.
   */
  private identifier(node: Obj, g: GroupCtx, copy: StrategyCopy | undefined): string | undefined {
    const written = node['identifier'];
    // Steps of stage types the schema does not look into (Deployment, ...) are checked here.
    if (written === undefined || written === null || written === '') {
      this.bag.error(Codes.REQUIRED_FIELD, `this step has no identifier`, this.loc(node));
      return undefined;
    }
    let raw = textOf(written);
    const expression = raw.includes('<+');
    if (expression) {
      const strat = copy ?? g.strategy;
      const scope: ExprScope = { ...g.scope, ...(strat ? { strategy: { ...strat.values, postfix: strat.suffix } } : {}) };
      raw = String(substituteAt(raw, node, 'identifier', this.buildCtx(scope, this.loc(node), new Map(), g.stageId, g.groupPath)));
    }
    if (!IDENTIFIER.test(raw)) {
      this.bag.error(
        Codes.INVALID_IDENTIFIER,
        expression
          ? `identifier resolves to '${raw}', which is not an identifier`
          : `'${raw}' is not an identifier (a letter or _, then letters, digits, _ or $)`,
        this.positions.at(node, 'identifier', this.loc(node)),
      );
      return undefined;
    }
    return raw + (copy?.suffix ?? '');
  }

  private buildStep(d: Draft, stageScope: ExprScope, stageId: string, ancestors: Ancestry): PlanStep | undefined {
    const at = this.loc(d.node);
    if (this.stepsById.has(d.id)) {
      this.bag.error(Codes.DUPLICATE_STEP_ID, `duplicate step id '${d.id}'`, this.positions.at(d.node, 'identifier', at));
      return undefined;
    }
    const scope: ExprScope = {
      ...stageScope,
      step: { identifier: textOf(d.node['identifier'] ?? ''), name: textOf(d.node['name'] ?? d.node['identifier'] ?? '') },
      ...(d.strategy ? { strategy: outerValues(d) } : d.dynamicStrategy ? { strategy: { byRun: true } } : {}),
    };
    const refs = new Map<string, PlanRef>();
    const ctx = this.buildCtx(scope, at, refs, stageId, d.groupPath, ancestors);
    const body = this.bag.guard(() => buildStep(d.node, d.kind, ctx));
    if (!body) return undefined;
    const step: PlanStep = { id: d.id, stage: stageId, ...body, needs: d.needs, origin: this.origin(d.node, d.ann) };
    if (d.strategy) {
      body.name = body.name + d.strategy.suffix;
      step.name = body.name;
      step.matrix = {
        ...(d.strategy.values.matrix ?? {}),
        ...('item' in d.strategy.values ? { item: d.strategy.values.item } : {}),
        iteration: d.strategy.values.iteration,
        iterations: d.strategy.values.iterations,
      };
    }
    if (d.dynamicStrategy) {
      // Its expressions take the step's scope: output references are checked and listed in
      // the step's refs, so the run can fill them when it expands the copies.
      const strategy = this.bag.guard(() => deepSubstitute(d.dynamicStrategy, ctx, d.node, 'strategy'));
      if (strategy && typeof strategy === 'object') step.strategy = strategy as Obj;
      if (d.strategyOf) step.strategyOf = d.strategyOf;
    }
    if (d.maxConcurrency) step.maxConcurrency = d.maxConcurrency;
    // Conditions are built here, with the step's own scope, so output references resolve.
    let when: PlanWhen | undefined;
    for (const holder of d.whens)
      when = combineWhen(
        when,
        this.bag.guard(() => whenOf(holder['when'], 'stageStatus', holder, ctx)),
      );
    if (when) step.when = when;
    if (d.failure) step.failure = d.failure;
    if (refs.size) step.refs = [...refs.values()].sort((a, b) => (a.expr < b.expr ? -1 : a.expr > b.expr ? 1 : 0));
    if ((step.kind === 'background' || step.kind === 'service') && !step.readiness) {
      this.bag.warn(
        Codes.NO_READINESS,
        `${step.kind} step ${step.id} has no readiness probe and no portBindings: it counts as ready once started`,
        at,
      );
    }
    return step;
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
    this.bag.error(Codes.EXPANSION_TOO_LARGE, `the plan would have ${what} (strategies or templates multiply them)`, this.loc(node));
    return false;
  }

  /** Counts a stage or step against the plan's budget; false (with PW5003 at `node`) past it. */
  private admit(value: object, kind: 'step' | 'stage', node: Obj): boolean {
    const problem = this.budget.admit(value, kind);
    if (problem) this.bag.error(Codes.EXPANSION_TOO_LARGE, problem, this.loc(node));
    return problem === undefined;
  }

  /** Provenance of a node: the outermost reference site and the template chain. */
  private origin(node: Obj, ann: Annotation | undefined): Origin {
    const own = this.loc(node);
    if (!ann || isRootAnnotation(ann) || ann.links.length === 0)
      return { file: own.file, line: own.line, column: own.column, templates: [] };
    const links = ann.links.map((l) => ({ ...l }));
    const last = links[links.length - 1]!;
    if (own.file === last.file) last.line = own.line;
    return { file: ann.site.file, line: ann.site.line, column: ann.site.column, templates: links };
  }
}
