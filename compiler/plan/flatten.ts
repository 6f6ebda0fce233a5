/**
 * Flattening: the expanded pipeline becomes the plan's stages and steps. Parallel blocks,
 * step groups, services and static strategies disappear into `needs` edges and ids
 * (`stage.step`, `stage.group.step`, `build_0_1` for strategy copies); every step records
 * where it came from.
 */
import { textOf } from '../text.js';
import { isExecuted, type PlanRef, type PlanStage, type PlanStep } from '../../schemas/index.js';
import { Codes, DiagnosticBag, type Location } from '../diagnostics.js';
import { unwrap } from '../templates/elements.js';
import { annotations, originOf, type Annotation } from '../templates/annotations.js';
import { runsBefore, type Ancestry, type Draft, type GroupCtx } from './drafts.js';
import { KnownSteps } from './output-references.js';
import { StepDrafter } from './step-drafts.js';
import { buildPlanStep } from './step-build.js';
import type { FlattenContext } from './flatten-context.js';
import type { ExprScope } from '../expressions/expressions.js';
import { deepSubstitute, failureOf, substituteAt, timeoutOf, whenOf, type BuildContext } from './steps.js';
import { copyCollisions, expandStrategy, type StrategyCopy } from './strategy.js';
import { setOwn } from '../own.js';
import { stageReferences, type OpaqueResolutions } from '../templates/opaque-references.js';
import { PlanBudget } from '../size-budget.js';
import { collectStages, infrastructureOf, variablesOf } from '../expressions/pipeline-scope.js';
import type { SubstituteSink } from '../expressions/substitute.js';
import type { Positions } from '../yaml/index.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface FlattenResult {
  stages: PlanStage[];
  steps: PlanStep[];
  variables: Record<string, string | number | boolean>;
}

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

class Flattener implements FlattenContext {
  readonly stages: PlanStage[] = [];
  readonly steps: PlanStep[] = [];
  private readonly stageIds = new Set<string>();
  /** Bounds the plan's steps and bytes (PW5003): strategies and templates multiply them. */
  private readonly budget = new PlanBudget();
  /** The first pass over each stage's steps. */
  private readonly drafter = new StepDrafter(this);
  /** Steps built so far, and what output references may name. */
  readonly known = new KnownSteps();

  constructor(
    readonly bag: DiagnosticBag,
    readonly file: string,
    private readonly pipelineScope: ExprScope['pipeline'],
    private readonly secretVars: Set<string>,
    readonly positions: Positions,
    private readonly opaque: OpaqueResolutions | undefined,
  ) {}

  loc(node: unknown): Location {
    return this.positions.of(node, { file: this.file, line: 1, column: 1 });
  }

  /** A strategy's tolerated shapes are warnings (PW2001) at their place. */
  readonly strategyWarning = (message: string, at: Location): void => void this.bag.warn(Codes.SCHEMA, message, at);

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

  buildCtx(
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
      output: (path, name, crossStage) => this.known.resolve(path, name, crossStage, stageId, groupPath, selfNeeds),
    };
    return { scope, sink, bag: this.bag, at, positions: this.positions };
  }

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
      for (const a of this.known.stageAncestors.get(n) ?? []) before.add(a);
    }
    this.known.stageAncestors.set(id, before);
    const when = this.bag.guard(() => whenOf(node['when'], 'pipelineStatus', node, ctx));
    if (when) stage.when = when;
    if (runtime) {
      // Its expressions take the stage's scope: earlier stages' outputs are checked and listed.
      const strategy = this.bag.guard(() => deepSubstitute(runtime, ctx, node, 'strategy'));
      if (strategy && typeof strategy === 'object') stage.strategy = strategy as Obj;
      this.known.copiedStages.add(id);
    }
    if (ctx.sink.refs.size) stage.refs = [...ctx.sink.refs.values()];
    const failure = this.bag.guard(() => failureOf(node['failureStrategies'], node, { at, positions: this.positions }));
    if (failure) stage.failure = failure;
    const timeout = this.bag.guard(() => timeoutOf(node, ctx));
    if (timeout !== undefined) stage.timeoutMs = timeout;
    const infra = infrastructureOf(spec);
    if (infra) stage.infrastructure = infra;
    stage.origin = originOf(this.loc(node), ann);
    if (this.opaque) {
      const references = stageReferences(node, ann, this.opaque, (n, a) => originOf(this.loc(n), a), this.positions);
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
    this.drafter.elements(steps, serviceIds, g, drafts);
    if (steps.length === 0 && type === 'CI') this.bag.warn(Codes.EMPTY_PIPELINE, `stage ${id} has no steps`, at);

    this.known.pending = new Set(drafts.map((d) => d.id));
    // Which steps run before a step is asked only for output references: walked then, from
    // the needs (a set per step made every long stage quadratic in time and memory).
    const needsOf = new Map(drafts.map((d) => [d.id, d.needs]));
    let usesImages = false;
    const built: PlanStep[] = [];
    for (const d of drafts) {
      const step = buildPlanStep(this, d, scope, id, { has: (target) => runsBefore(needsOf, target, d.id) });
      if (!step) continue;
      if (!this.admit(step, 'step', d.node)) break;
      if (isExecuted(step) && step.image) usesImages = true;
      built.push(step);
      this.steps.push(step);
      this.known.byId.set(step.id, step);
    }
    this.known.pending = new Set();
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

  /** The node's strategy with static expressions resolved, so `<+<+pipeline.variables.x>.split(',')>` axes expand now. */
  staticStrategy(node: Obj, scope: ExprScope, stageId: string | undefined): unknown {
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

  /** Counts a stage or step against the plan's budget; false (with PW5003 at `node`) past it. */
  private admit(value: object, kind: 'step' | 'stage', node: Obj): boolean {
    const problem = this.budget.admit(value, kind);
    if (problem) this.bag.error(Codes.EXPANSION_TOO_LARGE, problem, this.loc(node));
    return problem === undefined;
  }
}
