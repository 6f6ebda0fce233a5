/**
 * A deterministic generator of realistic Harness CI "v0" pipelines (issue 14, point 5).
 *
 * Every construct is one Harness accepts; the comment beside each names where its shape
 * comes from: a real file of /work/shared/corpus/harness-v0 ("corpus: FILE"), a realworld
 * fixture of test/fixtures/compile/realworld ("fixture: FILE"), or a Harness doc or Harness
 * source class ("doc: ...", "harness-core: Class"). The generator never writes a typo: every
 * field it writes is a Harness field, so a PW2007 (unknown field) on generated text means
 * pipewright does not know a Harness field.
 *
 * Constructs pipewright does not read although Harness does are kept behind KNOWN_GAPS,
 * off by default (so the corpus test passes); turn one on with `{gaps: {name: true}}` or
 * PIPEWRIGHT_CORPUS_GEN_GAPS=name,name to reproduce it.
 */
import { Emitter, map, seq, type MapNode, type Node, type Rng } from './yaml-emit.js';

/**
 * Harness shapes pipewright rejects or warns about. Each is off by default; see the report
 * of the corpus-gen work (and corpus-gen.test.ts) for the reproducer of each.
 */
export const KNOWN_GAPS = {
  /**
   * `reports` in the spec of a Plugin step (harness-core PluginStepInfo has `reports`,
   * Harness doc "Plugin step settings": Report Paths); pipewright's PluginSpec lacks it: PW2007.
   */
  pluginReports: false,
  /**
   * With --partial, a pipeline variable holding an open runtime input with a modifier and no
   * default (`<+input>.allowedValues(dev,prod)`, `<+input>.executionInput()`) used in a `when`
   * condition is PW3014 "unknown method .allowedValues()": the placeholder text is parsed as
   * part of the condition (a bare `<+input>` works). Doc "Runtime input settings"; fixture:
   * conditions-methods.yaml (a variable set at run time in a condition).
   */
  openInputWithModifierInCondition: false,
  /**
   * `contextType: Pipeline` beside `step:` in a step list element, as Harness's template
   * insertion writes it (README; fixture: unknown-fields-warn.yaml); pipewright warns PW2007.
   */
  contextTypeBesideStep: false,
} as const;
export type GapName = keyof typeof KNOWN_GAPS;
export const GAP_NAMES = Object.keys(KNOWN_GAPS) as GapName[];

export interface GenOptions {
  gaps?: Partial<Record<GapName, boolean>>;
}

export interface Generated {
  /** The YAML text (may start with a BOM and use CRLF). */
  text: string;
  /** Pipeline identifier. */
  id: string;
  /** The constructs this pipeline holds (for coverage counts). */
  features: Set<string>;
}

/** mulberry32: a 32-bit seeded PRNG. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of pipeline `index` of a corpus seeded `seed` (each pipeline is reproducible alone). */
export function pipelineSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Pipeline `index` of the corpus seeded `seed`. */
export function generatePipeline(seed: number, index: number, options: GenOptions = {}): Generated {
  return new Gen(mulberry32(pipelineSeed(seed, index)), index, { ...KNOWN_GAPS, ...options.gaps }).pipeline();
}

/** `n` pipelines of the corpus seeded `seed`. */
export function* generateCorpus(seed: number, n: number, options: GenOptions = {}): Generator<Generated & { index: number }> {
  for (let i = 0; i < n; i++) yield { ...generatePipeline(seed, i, options), index: i };
}

// ---------------------------------------------------------------------------------------
// Model of what is in scope where (for expressions that must be valid)

/** An output variable a step declares: `path` is the group ids then the step id, from the stage's execution. */
interface Output {
  stage: string;
  path: string[];
  name: string;
}
interface PVar {
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
type Strat = { kind: 'matrix'; axes: string[] } | { kind: 'repeat'; items: boolean } | { kind: 'parallelism' };

interface Ctx {
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

const STEP_WORDS = ['build', 'test', 'lint', 'package', 'publish', 'scan', 'deploy', 'verify', 'migrate', 'seed', 'notify', 'bundle', 'compile', 'check', 'smoke', 'release', 'cache', 'setup', 'report', 'sign'];
const STAGE_WORDS = ['build', 'test', 'integration', 'security', 'deploy_dev', 'deploy_prod', 'approve', 'release', 'e2e', 'docs', 'quality', 'promote'];
const VAR_WORDS = ['env', 'region', 'service', 'version', 'branch_name', 'targets', 'team', 'cluster', 'image_tag', 'mode', 'channel', 'tier'];
const STAGE_VAR_WORDS = ['ENV', 'NAMESPACE', 'TAG', 'PROFILE', 'TARGET', 'REPLICAS'];
const OUT_WORDS = ['VERSION', 'IMAGE_TAG', 'ARTIFACT', 'STATUS', 'SHA', 'URL', 'COUNT', 'RESULT'];
const IMAGES = ['golang:1.22', 'node:20-alpine', 'python:3.12-slim', 'maven:3.9-eclipse-temurin-17', 'alpine:3.19', 'ubuntu:22.04', 'gradle:8-jdk17', 'rust:1.77', 'hashicorp/terraform:1.7', 'mcr.microsoft.com/powershell:latest'];
const CONNECTORS = ['account.harnessImage', 'account.dockerhub', 'org.gcr_connector', 'dockerhub_ro', 'account.ecr'];
const NAMES_UNICODE = ['Déploiement', 'Prüfung', 'テスト', 'naïve build', 'Ünit tests ✓'];

class Gen {
  private readonly used = new Map<string, Set<string>>();
  private readonly features = new Set<string>();
  private pvars: PVar[] = [];
  private anchorCount = 0;
  private envAnchor: string | undefined;
  /** Stages whose steps may be addressed from later stages. */
  private readonly addressable = new Set<string>();
  private readonly stageVarsOf = new Map<string, string[]>();
  /** Stage variables (`stage:name`) holding an open input with a modifier, through a pipeline variable. */
  private readonly openStageVars = new Set<string>();
  private cloneCodebase = false;

  constructor(
    private readonly rng: Rng,
    private readonly index: number,
    private readonly gaps: Record<GapName, boolean>,
  ) {}

  // -- random helpers -------------------------------------------------------------------

  private r(): number {
    return this.rng();
  }
  private chance(p: number): boolean {
    return this.rng() < p;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)]!;
  }
  private weighted<T>(xs: readonly [T, number][]): T {
    const total = xs.reduce((n, [, w]) => n + w, 0);
    let x = this.rng() * total;
    for (const [v, w] of xs) {
      if ((x -= w) < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
  private sample<T>(xs: readonly T[], n: number): T[] {
    const copy = [...xs];
    const out: T[] = [];
    while (out.length < n && copy.length) out.push(copy.splice(Math.floor(this.rng() * copy.length), 1)[0]!);
    return out;
  }
  private feat(f: string): void {
    this.features.add(f);
  }

  /**
   * A fresh identifier in `scope` from `base`. Never ends in `_<digit>`, so strategy copies
   * (`id_0`) cannot collide with another node.
   */
  private ident(scope: string, base: string): string {
    const set = this.used.get(scope) ?? new Set<string>();
    this.used.set(scope, set);
    let id = base;
    for (let n = 2; set.has(id); n++) id = `${base}${String.fromCharCode(96 + ((n - 2) % 26) + 1)}${n > 27 ? n : ''}`;
    set.add(id);
    return id;
  }

  /** A display name for an identifier, as the pipeline studio derives it (sometimes edited). */
  private nameFor(id: string): string {
    if (this.chance(0.04)) {
      this.feat('unicode-name');
      return this.pick(NAMES_UNICODE);
    }
    if (this.chance(0.5)) return id;
    return id.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
  }

  // -- durations, inputs ------------------------------------------------------------------

  /** Harness durations (doc: "Step and stage timeout"; corpus: currentStateSamples uses 10s, 1m0s, 1h0m0s, ""). */
  private duration(): string {
    return this.pick(['10m', '30s', '1h', '1h30m', '1m0s', '1h0m0s', '2h', '45m', '1d', '20m', '5m', '90s', '1w']);
  }

  /** A runtime input with modifiers (fixture: inputs-typed.yaml; doc: "Runtime input settings"). */
  private input(defaultValue?: string, allowed?: string[], onExecutionInput?: () => void): string {
    this.feat('runtime-input');
    let s = '<+input>';
    // A default must be one of the allowed values (Harness refuses the input otherwise).
    if (defaultValue !== undefined && allowed && !allowed.includes(defaultValue)) defaultValue = this.pick(allowed);
    if (defaultValue !== undefined) s += `.default(${defaultValue})`;
    if (allowed) s += `.allowedValues(${allowed.join(',')})`;
    if (this.chance(0.08)) {
      onExecutionInput?.();
      s += '.executionInput()';
      this.feat('execution-input');
    }
    return s;
  }

  // -- expressions --------------------------------------------------------------------------

  /** Output references valid at `ctx` (same stage, earlier; or an earlier, uncopied stage). */
  private outputRefs(ctx: Ctx): string[] {
    const out: string[] = [];
    const full = (o: Output) => `${o.path.join('.steps.')}.output.outputVariables.${o.name}`;
    for (const o of ctx.before) {
      // fixture: variables-at-use.yaml (execution.steps), README "Expressions" (steps., stepGroup.)
      out.push(`<+execution.steps.${full(o)}>`);
      if (ctx.groupPath.length === 0) out.push(`<+steps.${full(o)}>`);
      const inGroup = ctx.groupPath.length > 0 && o.path.length === ctx.groupPath.length + 1 && ctx.groupPath.every((g, i) => o.path[i] === g);
      if (inGroup) out.push(`<+stepGroup.steps.${o.path[o.path.length - 1]}.output.outputVariables.${o.name}>`);
      if (!ctx.copied && this.addressable.has(o.stage)) out.push(`<+pipeline.stages.${o.stage}.spec.execution.steps.${full(o)}>`);
    }
    for (const o of this.crossOutputs(ctx)) out.push(`<+pipeline.stages.${o.stage}.spec.execution.steps.${full(o)}>`);
    return out;
  }

  private readonly stageOutputs = new Map<string, Output[]>();
  private crossOutputs(ctx: { ancestors: Set<string> }): Output[] {
    const out: Output[] = [];
    for (const s of ctx.ancestors) if (this.addressable.has(s)) out.push(...(this.stageOutputs.get(s) ?? []));
    return out;
  }

  /** Whether a variable may appear in a condition (KNOWN_GAPS.openInputWithModifierInCondition). */
  private conditionOk(v: PVar): boolean {
    return !v.openModified || this.gaps.openInputWithModifierInCondition;
  }

  /** Pipeline variables usable in `ctx` (a variable holding an output only after its stage). */
  private vars(ctx: { ancestors: Set<string> }, pred: (v: PVar) => boolean = () => true): PVar[] {
    return this.pvars.filter((v) => (v.afterStage === undefined || ctx.ancestors.has(v.afterStage)) && pred(v));
  }

  /** An expression for a command or env value (README "Expressions"; corpus: currentStateSamples `<+pipeline.sequenceId>`). */
  private expr(ctx: Ctx): string {
    const options: (() => string | undefined)[] = [
      () => {
        const v = this.vars(ctx);
        return v.length ? `<+pipeline.variables.${this.pick(v).name}>` : undefined;
      },
      () => (ctx.stageVars.length ? `<+stage.variables.${this.pick(ctx.stageVars)}>` : undefined),
      () => {
        // fixture: nested-expressions.yaml (pipeline.stages.S.variables.X)
        const stages = [ctx.stage, ...ctx.ancestors].filter((s) => (this.stageVarsOf.get(s) ?? []).length && (s !== ctx.stage || !ctx.copied) && this.addressable.has(s));
        if (!stages.length) return undefined;
        const s = this.pick(stages);
        return `<+pipeline.stages.${s}.variables.${this.pick(this.stageVarsOf.get(s)!)}>`;
      },
      () => this.pick(['<+pipeline.sequenceId>', '<+pipeline.executionId>', '<+codebase.commitSha>', '<+codebase.branch>', '<+pipeline.name>', '<+pipeline.identifier>', '<+stage.name>', '<+stage.identifier>', '<+step.name>', '<+trigger.event>', '<+pipeline.triggeredBy.name>']),
      () => {
        const refs = this.outputRefs(ctx);
        if (!refs.length) return undefined;
        this.feat('output-ref');
        return this.pick(refs);
      },
      () => this.strategyExpr(ctx),
      () => {
        const v = this.vars(ctx, (x) => x.type === 'String' && x.known && !!x.list);
        if (!v.length) return undefined;
        this.feat('nested-expression');
        // fixture: nested-expressions.yaml (<+<+pipeline.variables.services>.split(',')>)
        return `<+<+pipeline.variables.${this.pick(v).name}>.${this.pick(['split(",")', "split(',')", 'toUpperCase()', 'toLowerCase()', 'length()'])}>`;
      },
      () => `<+secrets.getValue("${this.pick(['docker_password', 'sonar_token', 'npm_token', 'github_pat'])}")>`,
    ];
    for (let i = 0; i < 6; i++) {
      const s = this.pick(options)();
      if (s) return s;
    }
    return '<+pipeline.sequenceId>';
  }

  /** `<+matrix.x>`, `<+repeat.item>`, `<+strategy.iteration>` from the nearest strategy. */
  private strategyExpr(ctx: Ctx): string | undefined {
    const s = ctx.strat;
    if (!s) return undefined;
    if (s.kind === 'matrix') return `<+${this.chance(0.8) ? 'matrix' : 'strategy.matrix'}.${this.pick(s.axes)}>`;
    if (s.kind === 'repeat' && s.items && this.chance(0.7)) return '<+repeat.item>';
    return this.pick(['<+strategy.iteration>', '<+strategy.iterations>', '<+strategy.identifierPostFix>']);
  }

  /**
   * A `when` condition (fixture: conditions.yaml, conditions-methods.yaml; corpus:
   * example-17 `(<+trigger.event> == "PUSH" || <+trigger.payload.ref> =^ "refs/tags/")`).
   */
  private condition(ctx: Ctx | { ancestors: Set<string>; stage?: string }, stageLevel = false): string | boolean {
    if (this.chance(0.08)) return this.pick(['true', 'false', '1==1']);
    if (this.chance(0.03)) return true;
    const atoms: string[] = [];
    const n = this.int(1, 3);
    for (let i = 0; i < n; i++) atoms.push(this.atom(ctx, stageLevel));
    let c = atoms[0]!;
    for (let i = 1; i < atoms.length; i++) c = this.chance(0.6) ? `${c} && ${atoms[i]}` : `(${c} || ${atoms[i]})`;
    if (this.chance(0.1)) c = `!(${c})`;
    if (this.chance(0.08)) {
      // fixture: conditions-methods.yaml — a ternary written as one expression around nested references
      this.feat('ternary');
      const v = this.vars(ctx, (x) => x.type === 'String' && x.known && this.conditionOk(x));
      if (v.length) return `<+<+pipeline.variables.${this.pick(v).name}>.contains("${this.pick(['dev', 'prod', 'eu'])}") ? true : false>`;
      return `${c} ? true : false`;
    }
    return c;
  }

  private atom(ctx: Ctx | { ancestors: Set<string>; stage?: string }, stageLevel: boolean): string {
    const full = 'before' in ctx ? (ctx as Ctx) : undefined;
    const kinds: (() => string | undefined)[] = [
      () => `<+codebase.branch> == "${this.pick(['main', 'master', 'develop'])}"`,
      () => `<+trigger.event> ${this.pick(['==', '!='])} "${this.pick(['PR', 'PUSH', 'TAG'])}"`,
      () => `<+codebase.branch> =~ "^release/"`,
      () => `<+trigger.payload.ref> =^ "refs/tags/"`,
      () => `<+pipeline.sequenceId> > ${this.int(1, 50)}`,
      () => {
        const v = this.vars(ctx, (x) => x.type === 'String' && this.conditionOk(x));
        if (!v.length) return undefined;
        const pv = this.pick(v);
        const name = pv.name;
        if (pv.openModified) this.feat('gap-openInputWithModifierInCondition');
        this.feat('condition-method');
        return this.pick([
          `<+pipeline.variables.${name}> == "${this.pick(['dev', 'prod', 'eu'])}"`,
          `<+pipeline.variables.${name}> != ""`,
          `<+pipeline.variables.${name}>.contains("${this.pick(['dev', 'prod', 'x'])}")`,
          `<+pipeline.variables.${name}>.startsWith("${this.pick(['re', 'de', 'p'])}")`,
          `<+pipeline.variables.${name}>.equalsIgnoreCase("PROD")`,
          `<+pipeline.variables.${name}>.toLowerCase() == "dev"`,
          `<+pipeline.variables.${name}>.split(",").size() > 1`,
          `!<+pipeline.variables.${name}>.isEmpty()`,
          `<+pipeline.variables.${name}> =$ "-eu"`,
        ]);
      },
      () => {
        const v = this.vars(ctx, (x) => x.type === 'Number' && x.known && this.conditionOk(x));
        return v.length ? `<+pipeline.variables.${this.pick(v).name}> ${this.pick(['>', '>=', '<', '=='])} ${this.int(0, 5)}` : undefined;
      },
      () => {
        const sv = full ? full.stageVars.filter((n) => this.gaps.openInputWithModifierInCondition || !this.openStageVars.has(`${full.stage}:${n}`)) : [];
        return sv.length ? `<+stage.variables.${this.pick(sv)}> != "skip"` : undefined;
      },
      () => {
        const refs = full ? this.outputRefs(full) : this.crossOutputs(ctx).map((o) => `<+pipeline.stages.${o.stage}.spec.execution.steps.${o.path.join('.steps.')}.output.outputVariables.${o.name}>`);
        if (!refs.length) return undefined;
        this.feat(stageLevel ? 'stage-condition-output-ref' : 'condition-output-ref');
        return `${this.pick(refs)} == "${this.pick(['true', 'ok', '1'])}"`;
      },
      () => {
        const s = full?.strat;
        if (s?.kind !== 'matrix') return undefined;
        this.feat('condition-matrix');
        return `<+matrix.${this.pick(s.axes)}> != "${this.pick(['windows', 'arm64', 'x'])}"`;
      },
    ];
    for (let i = 0; i < 6; i++) {
      const a = this.pick(kinds)();
      if (a) return a;
    }
    return `<+codebase.branch> == "main"`;
  }

  // -- failure strategies -----------------------------------------------------------------

  /**
   * Failure strategies in the forms Harness writes (corpus: _test1.yaml Retry with
   * retryIntervals and onRetryFailure; fixture: strategies.yaml ManualIntervention with
   * onTimeout and `[]`; doc "Define a failure strategy").
   */
  private failureStrategies(where: 'ci' | 'cd' | 'stage-ci' | 'stage-cd' | 'group'): Node {
    if (this.chance(0.15)) return seq([]);
    const cd = where === 'cd' || where === 'stage-cd';
    const actions: [string, number][] = [
      ['Ignore', 2],
      ['Retry', 3],
      ['MarkAsSuccess', 1],
      ['Abort', 2],
      ['MarkAsFailure', 1],
      ['ManualIntervention', cd ? 2 : 0.5],
      ['StageRollback', cd ? 2 : 0],
      ['PipelineRollback', cd ? 0.5 : 0],
    ];
    const items: Node[] = [];
    const n = this.weighted([
      [1, 5],
      [2, 2],
    ]);
    const errorsUsed = new Set<string>();
    for (let i = 0; i < n; i++) {
      const errors = i === n - 1 && this.chance(0.7) ? ['AllErrors'] : this.sample(['Timeout', 'Unknown', 'Connectivity', 'Authentication', 'Authorization', 'Verification', 'DelegateProvisioning', 'PolicyEvaluationFailure'], this.int(1, 3));
      if (errors.some((e) => errorsUsed.has(e))) continue;
      errors.forEach((e) => errorsUsed.add(e));
      const type = this.weighted(actions);
      let action: MapNode;
      if (type === 'Retry') {
        const count = this.int(1, 3);
        action = map({
          type,
          spec: map({
            retryCount: count,
            retryIntervals: seq(Array.from({ length: count }, () => this.pick(['1s', '5s', '10s', '30s', '1m']))),
            onRetryFailure: map({ action: map({ type: this.pick(['Abort', 'Ignore', 'MarkAsFailure', 'MarkAsSuccess']) }) }),
          }),
        });
      } else if (type === 'ManualIntervention') {
        action = map({ type, spec: map({ timeout: this.pick(['1h', '30m', '1d']), onTimeout: map({ action: map({ type: this.pick(['Abort', 'Ignore', 'MarkAsSuccess']) }) }) }) });
      } else action = map({ type });
      items.push(map({ onFailure: map({ errors: this.chance(0.1) && errors.length === 1 ? seq(errors, true) : seq(errors), action }) }));
    }
    this.feat('failure-strategies');
    return seq(items);
  }

  // -- strategies -------------------------------------------------------------------------

  /**
   * A looping strategy (doc "Use looping strategies"; corpus: stage-stragegy-matrix (one-value
   * axis list, `exclude: null`); fixture: strategies.yaml, matrix-scalar-axis.yaml).
   * Returns the YAML and the scope it opens.
   */
  private strategy(level: 'stage' | 'group' | 'step'): { node: Node; strat: Strat } {
    const kind = this.weighted<'matrix' | 'parallelism' | 'repeat'>([
      ['matrix', 5],
      ['parallelism', 2],
      ['repeat', 2],
    ]);
    if (kind === 'parallelism') {
      this.feat('parallelism');
      const p: Node = this.chance(0.15) ? this.input(String(this.int(2, 3))) : this.int(2, 4);
      return { node: map({ parallelism: p }), strat: { kind: 'parallelism' } };
    }
    if (kind === 'repeat') {
      this.feat('repeat');
      if (this.chance(0.35)) return { node: map({ repeat: map({ times: this.int(2, 3) }) }), strat: { kind: 'repeat', items: false } };
      const items = this.sample(['us-east-1', 'eu-west-1', 'ap-south-1', 'svc-a', 'svc-b', 'v1', 'v2'], this.int(2, 3));
      return { node: map({ repeat: map({ items: seq(items) }) }), strat: { kind: 'repeat', items: true } };
    }
    this.feat('matrix');
    const axisNames = this.sample(level === 'stage' ? ['env', 'region', 'provider'] : level === 'group' ? ['shard', 'suite', 'db'] : ['os', 'arch', 'jdk', 'node'], this.int(1, 2));
    const values: Record<string, string[]> = {
      env: ['dev', 'qa', 'prod'],
      region: ['eu', 'us'],
      provider: ['aws', 'gcp'],
      shard: ['a', 'b', 'c'],
      suite: ['unit', 'api'],
      db: ['postgres', 'mysql'],
      os: ['linux', 'windows', 'macos'],
      arch: ['amd64', 'arm64'],
      jdk: ['17', '21'],
      node: ['18', '20'],
    };
    const entries: Record<string, Node | undefined> = {};
    const chosen: Record<string, string[]> = {};
    for (const a of axisNames) {
      const vs = this.chance(0.2) ? [values[a]![0]!] : this.sample(values[a]!, this.int(2, values[a]!.length));
      if (vs.length === 1) this.feat('matrix-one-value-axis');
      chosen[a] = vs;
      // Versions are written as numbers as often as strings (`jdk: [17, 21]`).
      entries[a] = seq(vs.map((x) => (/^\d+$/.test(x) && this.chance(0.5) ? Number(x) : x)));
    }
    if (axisNames.length === 2 && this.chance(0.3)) {
      const [a, b] = axisNames as [string, string];
      if (chosen[a]!.length > 1 || chosen[b]!.length > 1) {
        entries['exclude'] = seq([map({ [a]: chosen[a]![0]!, [b]: chosen[b]![chosen[b]!.length - 1]! })]);
        this.feat('matrix-exclude');
      }
    } else if (this.chance(0.05)) entries['exclude'] = null; // corpus: stage-stragegy-matrix `exclude: null`
    if (this.chance(0.3)) {
      entries['maxConcurrency'] = this.int(1, 3);
      this.feat('maxConcurrency');
    }
    if (this.chance(0.1)) {
      // fixture: matrix-scalar-axis.yaml (nodeName)
      entries['nodeName'] = `${level}-<+matrix.${axisNames[0]}>`;
      this.feat('matrix-nodeName');
    }
    return { node: map({ matrix: map(entries) }), strat: { kind: 'matrix', axes: axisNames } };
  }

  // -- variables --------------------------------------------------------------------------

  /**
   * Pipeline variables of each type, with the fields Harness's editor writes (`description`,
   * `required`; doc "Add a variable"), values literal, runtime inputs or references to other
   * variables (README "Variable values may themselves hold expressions").
   */
  private pipelineVariables(): PVar[] {
    const n = this.int(0, 5);
    const out: PVar[] = [];
    const names = this.sample(VAR_WORDS, n);
    for (const name of names) {
      const type = this.weighted<PVar['type']>([
        ['String', 6],
        ['Number', 2],
        ['Secret', 1],
      ]);
      out.push({ name, type, known: true, ...(name === 'targets' ? { list: true } : {}) });
    }
    return out;
  }

  private variableValue(v: PVar, earlier: PVar[]): Node {
    if (v.type === 'Secret') {
      this.feat('secret-variable');
      return this.chance(0.2) ? this.input() : this.pick(['account.docker_password', 'org.sonar_token', 'npm_token']);
    }
    if (v.type === 'Number') {
      this.feat('number-variable');
      if (this.chance(0.3)) return this.input(String(this.int(1, 5)));
      return this.int(0, 10);
    }
    if (v.list) return this.chance(0.3) ? this.input('"dev,prod"') : this.pick(['dev,prod', 'eu,us,ap', 'dev']);
    const ref = earlier.filter((e) => e.type === 'String' && e.known && !e.afterStage);
    if (ref.length && this.chance(0.25)) {
      this.feat('variable-references-variable');
      return `<+pipeline.variables.${this.pick(ref).name}>-${this.pick(['eu', 'blue', 'canary'])}`;
    }
    const r = this.r();
    if (r < 0.15) {
      v.known = false;
      return this.input(undefined, undefined, () => (v.openModified = true));
    }
    if (r < 0.3) return this.input(this.pick(['dev', 'main', 'eu']), this.chance(0.5) ? ['dev', 'main', 'eu', 'prod'] : undefined);
    if (r < 0.37) {
      v.known = false;
      v.openModified = true;
      return this.input(undefined, ['dev', 'qa', 'prod']);
    }
    return this.pick(['dev', 'prod', 'eu-west-1', 'payments', 'release/1.2', 'v1.4.0', 'blue', 'platform']);
  }

  private variableNode(name: string, type: string, value: Node): MapNode {
    const o: Record<string, Node | undefined> = { name, type };
    if (this.chance(0.6)) o['description'] = this.chance(0.8) ? '' : 'set by the release train';
    if (this.chance(0.5)) o['required'] = this.chance(0.8) ? false : true;
    o['value'] = value;
    return map(o);
  }

  // -- pipeline -------------------------------------------------------------------------

  pipeline(): Generated {
    const id = this.ident('pipeline', `${this.pick(['payments', 'checkout', 'api', 'web', 'infra', 'ledger', 'search', 'auth'])}_${this.pick(['ci', 'pipeline', 'build', 'release'])}`);
    this.pvars = this.pipelineVariables();
    // Values are settled before the stages use the variables (an input without default is not known).
    const values = new Map<PVar, Node>();
    for (const [i, v] of this.pvars.entries()) values.set(v, this.variableValue(v, this.pvars.slice(0, i)));

    // Stage layout: sequential elements, some of them parallel blocks of stages.
    const nStages = this.weighted([
      [1, 3],
      [2, 4],
      [3, 4],
      [4, 2],
      [5, 1],
    ]);
    const layout: number[] = [];
    for (let left = nStages; left > 0; ) {
      const k = left >= 2 && this.chance(0.2) ? this.int(2, Math.min(3, left)) : 1;
      layout.push(k);
      left -= k;
    }
    const types: string[] = [];
    for (let i = 0; i < nStages; i++) {
      types.push(
        this.weighted([
          ['CI', 10],
          ['Custom', 4],
          ['Deployment', 1.5],
          ['Approval', 1.2],
        ]),
      );
    }
    if (!types.some((t) => t === 'CI' || t === 'Custom')) types[0] = 'CI';
    this.cloneCodebase = types.includes('CI') && this.chance(0.6);

    // The variable holding a step output is settled once its stage exists (fixture: variables-at-use.yaml).
    const stageNodes: Node[] = [];
    const ancestors = new Set<string>();
    let t = 0;
    let outVar: PVar | undefined;
    let outVarValue: string | undefined;
    for (const width of layout) {
      const produced: string[] = [];
      const built: Node[] = [];
      for (let j = 0; j < width; j++) {
        const { node, id: sid } = this.stage(types[t++]!, new Set(ancestors), width > 1);
        built.push(node);
        produced.push(sid);
      }
      stageNodes.push(width === 1 ? built[0]! : map({ parallel: seq(built) }));
      if (width > 1) this.feat('parallel-stages');
      for (const s of produced) ancestors.add(s);
      if (!outVar && this.chance(0.3)) {
        const outs = produced.filter((s) => this.addressable.has(s)).flatMap((s) => this.stageOutputs.get(s) ?? []);
        if (outs.length) {
          const o = this.pick(outs);
          outVar = { name: 'upstream_value', type: 'String', known: false, afterStage: o.stage };
          outVarValue = `<+pipeline.stages.${o.stage}.spec.execution.steps.${o.path.join('.steps.')}.output.outputVariables.${o.name}>`;
          this.pvars.push(outVar);
          this.feat('variable-holds-output');
        }
      }
    }

    const head: Record<string, Node | undefined> = {};
    const order = this.chance(0.5) ? ['name', 'identifier'] : ['identifier', 'name'];
    head[order[0]!] = order[0] === 'name' ? this.nameFor(id) : id;
    head[order[1]!] = order[1] === 'name' ? this.nameFor(id) : id;
    // corpus: .harness__harness.yaml (projectIdentifier, orgIdentifier, tags {}), currentStateSamples
    if (this.chance(0.7)) {
      head['projectIdentifier'] = this.pick(['default_project', 'Drone_Plugins', 'payments']);
      head['orgIdentifier'] = 'default';
      this.feat('project-org');
    }
    if (this.chance(0.4)) head['description'] = this.pick(['', 'Builds and ships the service', 'Nightly']);
    if (this.chance(0.6)) head['tags'] = this.chance(0.6) ? map({}) : map({ team: this.pick(['platform', 'payments']), tier: '' });
    if (this.cloneCodebase) {
      // corpus: .harness__harness.yaml properties.ci.codebase (connectorRef, repoName, build <+input>)
      const codebase: Record<string, Node | undefined> = { connectorRef: this.pick(['GitHub_Drone_Org', 'account.github', 'org.gitlab']), repoName: this.pick(['go-convert', 'payments-api', 'web']) };
      codebase['build'] = this.chance(0.7) ? '<+input>' : map({ type: 'branch', spec: map({ branch: '<+trigger.branch>' }) });
      if (this.chance(0.2)) codebase['depth'] = 50;
      if (this.chance(0.2)) codebase['prCloneStrategy'] = 'MergeCommit';
      head['properties'] = map({ ci: map({ codebase: map(codebase) }) });
      this.feat('codebase');
    }
    if (this.chance(0.15)) head['delegateSelectors'] = seq([this.pick(['linux-delegate', 'k8s-delegate'])]);
    if (this.chance(0.1)) head['timeout'] = this.pick(['2h', '1d']);
    if (this.chance(0.1)) head['notificationRules'] = seq([]);
    if (this.chance(0.1)) head['flowControl'] = map({ barriers: seq([]) });
    const vars: Node[] = [];
    for (const v of this.pvars) vars.push(this.variableNode(v.name, v.type, v === outVar ? outVarValue! : values.get(v)!));
    // fixture: variables-at-use.yaml writes variables after stages
    const varsFirst = this.chance(0.7);
    if (vars.length && varsFirst) head['variables'] = seq(vars);
    head['stages'] = seq(stageNodes);
    if (vars.length && !varsFirst) head['variables'] = seq(vars);
    if (this.chance(0.3)) head['allowStageExecutions'] = this.chance(0.8); // corpus: .harness__harness.yaml

    const root = map({ pipeline: map(head) });
    const lines: string[] = [];
    if (this.chance(0.1)) lines.push('# yaml-language-server: $schema=./node_modules/pipewright/schemas/pipeline.schema.json');
    if (this.chance(0.05)) lines.push('version: 1'); // fixture: lexical.yaml, corpus: _test1.yaml `version: "1.0"`
    const emitter = new Emitter(this.rng, {
      seqIndent: this.chance(0.6),
      flowP: this.pick([0, 0.1, 0.3, 0.6]),
      quoteP: this.pick([0, 0.1, 0.3]),
      commentP: this.pick([0, 0, 0.03, 0.08]),
    });
    let text = emitter.document(root, lines);
    if (this.chance(0.05)) {
      text = text.replace(/\n/g, '\r\n');
      this.feat('crlf');
    }
    if (this.chance(0.04)) {
      text = '\ufeff' + text;
      this.feat('bom');
    }
    if (/: &env\d/.test(text)) this.feat('anchor');
    return { text, id, features: this.features };
  }

  // -- stages ---------------------------------------------------------------------------

  private stage(type: string, ancestors: Set<string>, inParallel: boolean): { node: Node; id: string } {
    const sid = this.ident('stage', this.pick(STAGE_WORDS));
    this.feat(`stage-${type}`);
    const o: Record<string, Node | undefined> = { name: this.nameFor(sid), identifier: sid };
    if (this.chance(0.5)) o['description'] = ''; // corpus: .harness__harness.yaml `description: ""`
    o['type'] = type;

    // Stage variables (doc "Stage variables"; fixture: nested-expressions.yaml)
    const svars = type === 'Approval' ? [] : this.sample(STAGE_VAR_WORDS, this.weighted([[0, 5], [1, 3], [2, 2]]));
    this.stageVarsOf.set(sid, svars);
    let strat: { node: Node; strat: Strat } | undefined;
    if ((type === 'CI' || type === 'Custom') && this.chance(0.12)) strat = this.strategy('stage');
    const copied = !!strat;
    if (!copied) this.addressable.add(sid);
    const ctx: Ctx = {
      stage: sid,
      stageType: type,
      ancestors,
      stageVars: svars,
      before: [],
      groupPath: [],
      ...(strat ? { strat: strat.strat } : {}),
      copied,
      nodeCopied: false,
      needsImage: false,
      depth: 0,
    };

    const varNodes = svars.map((name) => {
      const strings = this.vars(ctx, (v) => v.type === 'String');
      let value: string;
      if (this.chance(0.2)) value = this.input(this.pick(['dev', 'ns1', 'latest']), this.chance(0.4) ? ['dev', 'ns1', 'latest', 'qa'] : undefined);
      else if (this.chance(0.2) && strings.length) {
        const pv = this.pick(strings);
        if (pv.openModified) this.openStageVars.add(`${sid}:${name}`);
        value = `<+pipeline.variables.${pv.name}>`;
      } else value = this.pick(['dev', 'payments', 'latest', '3', 'blue']);
      return this.variableNode(name, 'String', value);
    });
    let spec: MapNode;
    if (type === 'CI') spec = this.ciSpec(ctx);
    else if (type === 'Custom') spec = map({ execution: map({ steps: seq(this.stepList(ctx, 'custom', this.int(1, 4))) }) });
    else if (type === 'Deployment') spec = this.deploymentSpec(ctx);
    else spec = this.approvalSpec(ctx);
    this.stageOutputs.set(sid, [...ctx.before]);

    // Key order varies as Harness files do (corpus goldens: identifier, name, spec, type; editor: name, identifier, description, type, spec).
    if (this.chance(0.3)) {
      o['spec'] = spec;
      if (varNodes.length) o['variables'] = seq(varNodes);
    } else {
      if (varNodes.length) o['variables'] = seq(varNodes);
      o['spec'] = spec;
    }
    if (this.chance(0.35)) o['failureStrategies'] = this.failureStrategies(type === 'CI' ? 'stage-ci' : 'stage-cd');
    if (this.chance(0.3) || (inParallel && this.chance(0.2))) {
      // fixture: conditions.yaml (stage when), variables-at-use.yaml (a condition on an earlier stage's output)
      const w: Record<string, Node | undefined> = { pipelineStatus: this.weighted([['Success', 6], ['All', 2], ['Failure', 1]]) };
      if (this.chance(0.6)) w['condition'] = this.condition({ ancestors, stage: sid }, true);
      o['when'] = map(w);
      this.feat('stage-when');
    }
    if (strat) o['strategy'] = strat.node;
    if (this.chance(0.25)) o['tags'] = map({});
    if (this.chance(0.08)) o['timeout'] = this.pick(['1h', '2h', '30m']);
    if (this.chance(0.05)) o['delegateSelectors'] = seq(['k8s-delegate']);
    return { node: map({ stage: map(o) }), id: sid };
  }

  /** CI stage spec (corpus: .harness__harness.yaml Cloud runtime, caching, buildIntelligence; _test1.yaml KubernetesDirect; fixture: infrastructure.yaml). */
  private lastK8sStage: string | undefined;
  private ciSpec(ctx: Ctx): MapNode {
    const o: Record<string, Node | undefined> = { cloneCodebase: this.cloneCodebase ? this.chance(0.85) : false };
    if (this.chance(0.3)) o['caching'] = map({ enabled: this.chance(0.5), paths: seq([]) });
    if (this.chance(0.2)) o['buildIntelligence'] = map({ enabled: false });
    const infra = this.weighted<'cloud' | 'cloud-docker' | 'k8s' | 'vm' | 'use'>([
      ['cloud', 5],
      ['cloud-docker', 0.5],
      ['k8s', 3],
      ['vm', 1],
      ['use', this.lastK8sStage && ctx.ancestors.has(this.lastK8sStage) ? 1.5 : 0],
    ]);
    if (infra === 'cloud') {
      o['platform'] = map({ os: 'Linux', arch: this.weighted([['Amd64', 4], ['Arm64', 1]]) });
      o['runtime'] = map({ type: 'Cloud', spec: map({}) });
      this.feat('infra-cloud');
    } else if (infra === 'k8s') {
      const spec: Record<string, Node | undefined> = { connectorRef: this.pick(['account.k8s', 'cidelegate', 'account.testappsprimaryk8s']), namespace: this.chance(0.15) ? this.input('ci') : this.pick(['default', 'harness-builds', 'ci']) };
      if (this.chance(0.4)) spec['automountServiceAccountToken'] = true;
      if (this.chance(0.4)) spec['nodeSelector'] = map({});
      if (this.chance(0.3)) spec['os'] = 'Linux';
      if (this.chance(0.2)) spec['harnessImageConnectorRef'] = 'account.harnessImage';
      o['infrastructure'] = map({ type: 'KubernetesDirect', spec: map(spec) });
      ctx.needsImage = true;
      this.lastK8sStage = ctx.stage;
      this.feat('infra-k8s');
    } else if (infra === 'cloud-docker') {
      o['platform'] = map({ os: this.pick(['Linux', 'MacOS']), arch: 'Amd64' });
      o['runtime'] = map({ type: 'Docker', spec: map({}) });
      this.feat('infra-docker');
    } else if (infra === 'vm') {
      o['platform'] = map({ os: 'Linux', arch: 'Arm64' });
      o['infrastructure'] = map({ type: 'VM', spec: map({ type: 'Pool', spec: map({ poolName: 'linux-arm', os: 'Linux' }) }) });
      this.feat('infra-vm');
    } else {
      o['infrastructure'] = map({ useFromStage: this.lastK8sStage! });
      ctx.needsImage = true;
      this.feat('infra-useFromStage');
    }
    if (this.chance(0.15)) o['sharedPaths'] = seq(['/var/run', '/shared']);
    if (this.chance(0.12)) {
      // corpus: _test1 / pipeline.yaml serviceDependencies (type Service, image, entrypoint, args, envVariables, resources)
      this.feat('service-dependency');
      const sidv = this.ident(`steps:${ctx.stage}`, this.pick(['database', 'redis', 'mysql']));
      const img = sidv === 'redis' ? 'redis:7' : 'postgres:15';
      o['serviceDependencies'] = seq([
        map({
          identifier: sidv,
          name: sidv,
          type: 'Service',
          spec: map({
            connectorRef: this.pick(CONNECTORS),
            image: img,
            envVariables: this.chance(0.5) ? map({ POSTGRES_PASSWORD: '<+secrets.getValue("db_password")>' }) : undefined,
            entrypoint: this.chance(0.3) ? seq(['docker-entrypoint.sh']) : undefined,
            args: this.chance(0.3) ? seq(['--character-set-server=utf8mb4']) : undefined,
            resources: this.chance(0.3) ? map({ limits: map({ cpu: '250m', memory: '500Mi' }) }) : undefined,
          }),
        }),
      ]);
    } else if (this.chance(0.05)) o['serviceDependencies'] = seq([]);
    o['execution'] = map({ steps: seq(this.stepList(ctx, 'ci', this.int(1, 5))) });
    return map(o);
  }

  /** Deployment stage (doc "Kubernetes deployment tutorial": service, environment, K8sRollingDeploy, rollbackSteps). */
  private deploymentSpec(ctx: Ctx): MapNode {
    const steps: Node[] = [];
    steps.push(this.stepNode(ctx, 'K8sRollingDeploy', map({ skipDryRun: false, pruningEnabled: false }), '10m'));
    for (let i = this.int(0, 2); i > 0; i--) steps.push(...this.stepList(ctx, 'cd', 1));
    return map({
      deploymentType: 'Kubernetes',
      service: map({ serviceRef: this.pick(['payments_svc', 'web']), serviceInputs: this.chance(0.3) ? '<+input>' : undefined }),
      environment: map({ environmentRef: this.pick(['dev', 'prod', '<+input>']), deployToAll: false, infrastructureDefinitions: seq([map({ identifier: this.pick(['k8s_dev', 'k8s_prod']) })]) }),
      execution: map({
        steps: seq(steps),
        rollbackSteps: seq([map({ step: map({ name: 'Rollback', identifier: this.ident(`steps:${ctx.stage}`, 'rollback'), type: 'K8sRollingRollback', timeout: '10m', spec: map({ pruningEnabled: false }) }) })]),
      }),
    });
  }

  /** Approval stage (doc "Add a Harness Approval stage": HarnessApproval with approvers). */
  private approvalSpec(ctx: Ctx): MapNode {
    const approval = this.stepNode(
      ctx,
      'HarnessApproval',
      map({
        approvalMessage: 'Please review the following information and approve the pipeline progression',
        includePipelineExecutionHistory: true,
        approvers: map({ userGroups: seq(['account._account_all_users']), minimumCount: 1, disallowPipelineExecutor: false }),
        approverInputs: seq([]),
        isAutoRejectEnabled: this.chance(0.3) ? false : undefined,
      }),
      this.pick(['1d', '12h']),
    );
    const steps = [approval];
    if (this.chance(0.2)) steps.push(this.stepNode(ctx, 'JiraApproval', map({ connectorRef: 'jira', projectKey: 'OPS', issueKey: '<+input>', issueType: 'Task', approvalCriteria: map({ type: 'KeyValues', spec: map({ matchAnyCondition: true, conditions: seq([map({ key: 'Status', operator: 'equals', value: 'Done' })]) }) }), rejectionCriteria: map({ type: 'KeyValues', spec: map({ matchAnyCondition: true, conditions: seq([]) }) }) }), '1d'));
    return map({ execution: map({ steps: seq(steps) }) });
  }

  /** A plain `- step:` element of a type whose spec is opaque to pipewright. */
  private stepNode(ctx: Ctx, type: string, spec: Node, timeout?: string): Node {
    const id = this.ident(`steps:${ctx.stage}`, type.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase()));
    return map({ step: map({ name: this.nameFor(id), identifier: id, type, timeout, spec }) });
  }

  // -- steps ----------------------------------------------------------------------------

  /**
   * A list of step elements (fixture: nesting.yaml — parallel under steps, step groups
   * nesting parallel blocks and groups; corpus: currentStateSamples step groups).
   */
  private stepList(ctx: Ctx, flavour: 'ci' | 'custom' | 'cd', n: number): Node[] {
    const out: Node[] = [];
    for (let i = 0; i < n; i++) {
      const kind = this.weighted<'step' | 'parallel' | 'group'>([
        ['step', 7],
        ['parallel', ctx.depth < 3 ? 1.5 : 0],
        ['group', ctx.depth < 3 ? 1.5 : 0],
      ]);
      if (kind === 'step') {
        const { node, outputs } = this.step(ctx, flavour);
        out.push(node);
        ctx.before.push(...outputs);
      } else if (kind === 'parallel') {
        this.feat('parallel-steps');
        const produced: Output[] = [];
        const children: Node[] = [];
        for (let j = this.int(2, 3); j > 0; j--) {
          if (ctx.depth < 2 && this.chance(0.2)) {
            const child = { ...ctx, before: [...ctx.before], depth: ctx.depth + 1 };
            children.push(this.group(child, flavour));
            produced.push(...child.before.filter((o) => !ctx.before.includes(o)));
          } else {
            const { node, outputs } = this.step(ctx, flavour);
            children.push(node);
            produced.push(...outputs);
          }
        }
        out.push(map({ parallel: seq(children) }));
        ctx.before.push(...produced);
      } else {
        const child = { ...ctx, before: [...ctx.before], depth: ctx.depth + 1 };
        out.push(this.group(child, flavour));
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
  private group(ctx: Ctx, flavour: 'ci' | 'custom' | 'cd'): Node {
    this.feat(`step-group-depth-${ctx.depth}`);
    const gid = this.ident(`steps:${ctx.stage}`, this.pick(['checks', 'tests', 'quality', 'release_steps', 'infra', 'verify_group', 'parallel_suite']));
    const o: Record<string, Node | undefined> = { name: this.nameFor(gid), identifier: gid };
    let strat: { node: Node; strat: Strat } | undefined;
    if (this.chance(0.12)) strat = this.strategy('group');
    const inner: Ctx = { ...ctx, groupPath: [...ctx.groupPath, gid], before: [...ctx.before], nodeCopied: ctx.nodeCopied || !!strat, ...(strat ? { strat: strat.strat } : {}) };
    let innerFlavour = flavour;
    if (flavour !== 'ci' && ctx.depth === 1 && this.chance(0.3)) {
      // doc "Containerize step groups": Custom/Deploy stages run Run steps in a group with stepGroupInfra
      o['stepGroupInfra'] = map({ type: 'KubernetesDirect', spec: map({ connectorRef: 'account.k8s', namespace: 'cd-steps' }) });
      inner.needsImage = true;
      innerFlavour = 'ci';
      this.feat('containerized-step-group');
    }
    const outer = ctx.before.length;
    o['steps'] = seq(this.stepList(inner, innerFlavour, this.int(1, 3)));
    if (this.chance(0.2)) o['when'] = this.when(ctx);
    if (this.chance(0.2)) o['failureStrategies'] = this.failureStrategies('group');
    if (strat) o['strategy'] = strat.node;
    if (this.chance(0.15)) o['timeout'] = this.duration();
    if (this.chance(0.05)) o['delegateSelectors'] = seq(['k8s-delegate']);
    // Outputs inside a copied group are not addressable from outside it.
    if (!inner.nodeCopied) ctx.before.push(...inner.before.slice(outer));
    return map({ stepGroup: map(o) });
  }

  /** Step `when` (corpus: _test1.yaml stageStatus All / Success + condition "true" / Failure). */
  private when(ctx: Ctx): MapNode {
    this.feat('step-when');
    const w: Record<string, Node | undefined> = { stageStatus: this.weighted([['Success', 6], ['All', 2], ['Failure', 1]]) };
    if (this.chance(0.7)) w['condition'] = this.chance(0.03) ? '<+input>' : this.condition(ctx);
    return map(w);
  }

  private step(ctx: Ctx, flavour: 'ci' | 'custom' | 'cd'): { node: Node; outputs: Output[] } {
    const type =
      flavour === 'ci'
        ? this.weighted<string>([
            ['Run', 10],
            ['Background', 2],
            ['Plugin', 2.5],
            ['RunTests', 0.6],
            ['GitClone', 0.6],
            ['BuildAndPushDockerRegistry', 1],
            ['Action', 0.6],
            ['SaveCacheS3', 0.4],
            ['RestoreCacheGCS', 0.4],
            ['ArtifactoryUpload', 0.4],
            ['Security', 0.8],
          ])
        : this.weighted<string>([
            ['ShellScript', 6],
            ['Http', 2],
            ['Wait', 0.7],
            ['Email', 0.7],
            ['JiraCreate', 0.4],
            ['TerraformPlan', flavour === 'cd' ? 0.5 : 0.3],
          ]);
    const sid = this.ident(`steps:${ctx.stage}`, this.pick(STEP_WORDS));
    let strat: { node: Node; strat: Strat } | undefined;
    if ((type === 'Run' || type === 'ShellScript' || type === 'Plugin') && this.chance(0.1)) strat = this.strategy('step');
    const sctx: Ctx = { ...ctx, ...(strat ? { strat: strat.strat, nodeCopied: true } : {}) };
    const outputs: Output[] = [];
    const declare = (names: string[]) => {
      if (!sctx.nodeCopied) for (const name of names) outputs.push({ stage: ctx.stage, path: [...ctx.groupPath, sid], name });
    };
    let spec: Node;
    let stepType = type;
    switch (type) {
      case 'Run':
        spec = this.runSpec(sctx, declare);
        break;
      case 'Background':
        spec = this.backgroundSpec(sctx);
        break;
      case 'Plugin':
        spec = this.pluginSpec(sctx);
        break;
      case 'ShellScript':
        spec = this.shellScriptSpec(sctx, declare);
        break;
      case 'Http':
        spec = this.httpSpec(sctx, declare);
        break;
      case 'Security':
        stepType = this.pick(['AquaTrivy', 'Gitleaks', 'Semgrep', 'Snyk', 'Nikto', 'Nmap', 'Twistlock', 'Brakeman', 'Sysdig', 'PrismaCloud']);
        spec = this.securitySpec(stepType);
        this.feat(['Nikto', 'Nmap', 'Twistlock', 'Brakeman', 'Sysdig', 'PrismaCloud'].includes(stepType) ? 'step-type-unknown-to-pipewright' : 'step-type-security');
        break;
      case 'TerraformPlan':
        // doc "Provision with Terraform / Terragrunt / Terraform Cloud" (Deploy and Custom stages)
        stepType = this.pick(['TerraformPlan', 'TerragruntPlan', 'TerraformCloudRun']);
        spec = this.cdSpec(stepType);
        if (stepType !== 'TerraformPlan') this.feat('step-type-unknown-to-pipewright');
        break;
      default:
        spec = this.otherSpec(type, sctx);
    }
    this.feat(`step-${stepType}`);
    const o: Record<string, Node | undefined> = {};
    // Key order: editor (type, name, identifier, spec) or go-convert goldens (identifier, name, spec, timeout, type).
    const editorOrder = this.chance(0.7);
    if (editorOrder) o['type'] = stepType;
    o['name'] = this.nameFor(sid);
    o['identifier'] = sid;
    if (this.chance(0.15)) o['description'] = this.pick(['', 'this is a description', 'exit']); // corpus: _test1.yaml
    o['spec'] = spec;
    if (this.chance(0.35) || ['ShellScript', 'Http', 'Wait', 'Email', 'JiraCreate'].includes(type)) {
      o['timeout'] = this.chance(0.05) ? this.pick(['<+input>', '<+input>.default(10m)']) : this.chance(0.1) ? '' : this.duration();
      if (String(o['timeout']).startsWith('<+input>')) this.feat('runtime-input-timeout');
    }
    if (!editorOrder) o['type'] = stepType;
    if (this.chance(0.2)) o['when'] = this.when(ctx);
    if (this.chance(0.15)) o['failureStrategies'] = this.failureStrategies(flavour === 'ci' ? 'ci' : 'cd');
    // harness-core StepGroupElementConfig / step nodes: strategy and failureStrategies take only a runtime input as an expression
    else if (this.chance(0.01)) {
      o['failureStrategies'] = '<+input>';
      this.feat('runtime-input-failureStrategies');
    }
    if (strat) o['strategy'] = strat.node;
    else if (this.chance(0.01)) {
      o['strategy'] = '<+input>';
      this.feat('runtime-input-strategy');
    }
    const element: Record<string, Node | undefined> = { step: map(o) };
    if (this.gaps.contextTypeBesideStep && this.chance(0.1)) {
      element['contextType'] = 'Pipeline';
      this.feat('gap-contextTypeBesideStep');
    }
    return { node: map(element), outputs };
  }

  /** A value for an env variable: literal, expression, runtime input or a mix (corpus: currentStateSamples envVariables). */
  private envValue(ctx: Ctx): Node {
    const r = this.r();
    if (r < 0.35) return this.pick(['true', 'production', '/usr/local/bin', '8080', 'info', '1', 'release/1.2', 'ünïcode ✓']);
    if (r < 0.75) return this.expr(ctx);
    if (r < 0.85) return this.input(this.pick(['main', 'info', '"a b"']), this.chance(0.3) ? ['main', 'info', 'debug'] : undefined);
    return `${this.pick(['prefix-', 'v', 'https://example.com/'])}${this.expr(ctx)}`;
  }

  private envVariables(ctx: Ctx): Node {
    // An anchored block of static env variables, aliased by later steps (YAML anchors; README PW1003 alias limit).
    if (this.envAnchor && this.chance(0.3)) {
      this.feat('alias');
      return { t: 'alias', name: this.envAnchor };
    }
    const names = this.sample(['GOFLAGS', 'NODE_ENV', 'LOG_LEVEL', 'REGION', 'TAG', 'BRANCH', 'API_URL', 'MAVEN_OPTS', 'CI', 'DEPLOY_ENV', 'PATH+MAVEN'], this.int(1, 4));
    if (this.chance(0.08)) {
      const anchor = `env${++this.anchorCount}`;
      const m = map(Object.fromEntries(names.map((n) => [n, this.pick(['true', 'production', 'info', '-Xmx1g'])])));
      m.anchor = anchor;
      this.envAnchor = anchor;
      return m;
    }
    return map(Object.fromEntries(names.map((n) => [n, this.envValue(ctx)])));
  }

  /** A command that uses expressions, in the step's shell (corpus: .harness__harness.yaml multi-line go commands). */
  private command(ctx: Ctx, shell: string, outputs: string[]): string {
    const lines: string[] = [];
    const e = () => this.expr(ctx);
    const nExpr = this.int(0, 2);
    if (shell === 'Python') {
      lines.push('import os');
      for (let i = 0; i < nExpr; i++) lines.push(`print("${this.pick(['value', 'building', 'ref'])}: ${e()}")`);
      for (const o of outputs) lines.push(`os.environ["${o}"] = "${this.pick(['1.2.3', 'ok', 'true'])}"`);
      if (!lines.length) lines.push('print("hello")');
    } else if (shell === 'Pwsh' || shell === 'PowerShell' || shell === 'Powershell') {
      for (let i = 0; i < nExpr; i++) lines.push(`Write-Host "${e()}"`);
      for (const o of outputs) lines.push(`$env:${o} = "${this.pick(['1.2.3', 'ok', 'true'])}"`);
      lines.push(this.pick(['Write-Host done', 'Get-ChildItem', 'dotnet build']));
    } else {
      const pool = ['go build ./...', 'go test -coverprofile=cover.out ./...', 'npm ci', 'npm test -- --ci', 'mvn -B verify', 'make build', './gradlew check', 'pytest -q', 'docker version', 'ls -la', 'cargo test', 'terraform init -input=false'];
      for (let i = this.int(1, 3); i > 0; i--) lines.push(this.pick(pool));
      for (let i = 0; i < nExpr; i++) lines.push(`echo "${this.pick(['deploying', 'tag', 'env'])} ${e()}"`);
      for (const o of outputs) lines.push(this.chance(0.5) ? `export ${o}=$(git rev-parse --short HEAD)` : `${o}="${this.pick(['1.2.3', 'ok', 'true'])}"`);
      // Untouched text (fixture: untouched-text.yaml — shell braces, Go templates)
      if (this.chance(0.1)) lines.push(this.pick(['echo "${HOME}/{a,b}"', "docker inspect --format '{{ .Id }}' app", 'awk \'{print $1}\' out.txt']));
    }
    if ((shell === 'Sh' || shell === 'Bash') && this.chance(0.15)) return lines.join(' && ');
    return lines.join('\n');
  }

  private image(ctx: Ctx, shell?: string): { image?: Node; connectorRef?: Node } {
    if (!ctx.needsImage && this.chance(0.35)) return {};
    const image = shell === 'Pwsh' || shell === 'PowerShell' || shell === 'Powershell' ? 'mcr.microsoft.com/powershell:latest' : shell === 'Python' ? 'python:3.12-slim' : this.chance(0.05) ? this.input('alpine:3.19') : this.pick(IMAGES);
    return { connectorRef: this.chance(0.1) ? '<+input>' : this.pick(CONNECTORS), image };
  }

  /** Run step (harness-core RunStepInfo; doc "Run step settings"; corpus: _test1.yaml). */
  private runSpec(ctx: Ctx, declare: (names: string[]) => void): Node {
    // harness-core CIShellType: Sh, Bash, Powershell, Pwsh, Python (matched case-insensitively)
    const shell = this.weighted([
      ['Sh', 5],
      ['Bash', 4],
      ['Python', 1],
      ['Pwsh', 0.6],
      ['PowerShell', 0.3],
      ['Powershell', 0.3],
    ]);
    const outs = this.chance(0.4) ? this.sample(OUT_WORDS, this.int(1, 2)) : [];
    const o: Record<string, Node | undefined> = { ...this.image(ctx, shell) };
    if (this.chance(0.9)) o['shell'] = shell;
    else if (shell !== 'Sh') o['shell'] = shell;
    o['command'] = this.command(ctx, shell, outs);
    if (this.chance(0.45)) o['envVariables'] = this.envVariables(ctx);
    if (outs.length) {
      // harness-core OutputNGVariable: name (and, in newer files, type and value)
      o['outputVariables'] = seq(outs.map((name) => (this.chance(0.2) ? map({ name, type: this.chance(0.8) ? 'String' : 'Secret', value: name }) : map({ name }))));
      this.feat('output-variables');
    }
    if (this.chance(0.15)) o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['**/*.xml']) }) });
    if (this.chance(0.08)) o['privileged'] = true;
    if (this.chance(0.06)) o['runAsUser'] = this.pick(['1000', '1111']);
    if (this.chance(0.1) && o['image']) o['imagePullPolicy'] = this.pick(['Always', 'IfNotPresent', 'Never']);
    if (this.chance(0.08)) o['resources'] = map({ limits: map({ memory: '500Mi', cpu: '400m' }) });
    declare(outs);
    return map(o);
  }

  /** Background step (harness-core BackgroundStepInfo; fixture: background-placements.yaml). */
  private backgroundSpec(ctx: Ctx): Node {
    const svc = this.pick([
      { image: 'postgres:15', port: '5432', env: { POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'app' } as Record<string, string>, entry: ['docker-entrypoint.sh', 'postgres'] },
      { image: 'redis:7', port: '6379', env: {}, entry: ['redis-server'] },
      { image: 'docker:dind', port: '2375', env: { DOCKER_TLS_CERTDIR: '' }, entry: ['dockerd-entrypoint.sh'] },
      { image: 'mysql:8', port: '3306', env: { MYSQL_ROOT_PASSWORD: '<+secrets.getValue("mysql_root")>' }, entry: [] },
    ]);
    const o: Record<string, Node | undefined> = { connectorRef: this.pick(CONNECTORS), image: this.chance(0.05) ? this.input(svc.image) : svc.image };
    if (svc.image === 'docker:dind') o['privileged'] = true;
    if (this.chance(0.3) && svc.entry.length) {
      o['entrypoint'] = seq(svc.entry);
      this.feat('background-entrypoint');
    }
    if (this.chance(0.2)) o['command'] = svc.image.startsWith('postgres') ? 'postgres -c max_connections=200' : 'echo starting';
    if (Object.keys(svc.env).length && this.chance(0.6)) o['envVariables'] = map(svc.env);
    if (!ctx.needsImage && this.chance(0.7)) {
      // fixture: background-placements.yaml — quoted portBindings keys
      const pb = map({ [svc.port]: this.chance(0.5) ? svc.port : Number(svc.port) });
      pb.e[0]!.quoteKey = this.chance(0.8);
      o['portBindings'] = pb;
      this.feat('port-bindings');
    }
    if (this.chance(0.1)) o['shell'] = 'Sh';
    if (this.chance(0.05)) o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['reports/*.xml']) }) });
    return map(o);
  }

  /** Plugin step (harness-core PluginStepInfo; corpus: currentStateSamples settings, example-9 list settings). */
  private pluginSpec(ctx: Ctx): Node {
    const p = this.pick([
      { image: 'plugins/docker', settings: () => map({ repo: 'octocat/hello-world', tags: seq(['latest', '1', '1.1', '1.1.1']), username: '<+secrets.getValue("docker_username")>', password: '<+secrets.getValue("docker_password")>' }) },
      { image: 'plugins/slack', settings: () => map({ webhook: '<+secrets.getValue("slack_webhook")>', channel: 'builds', template: `build ${this.expr(ctx)} finished` }) },
      { image: 'plugins/s3', settings: () => map({ bucket: 'artifacts', source: 'dist/**', target: `/builds/${this.expr(ctx)}`, region: this.chance(0.3) ? this.input('us-east-1') : 'us-east-1' }) },
      { image: 'harnesscommunitytest/maven-plugin:latest', settings: () => map({ Goals: 'clean install package' }) },
      { image: 'plugins/download', settings: () => map({ source: 'https://github.com/org/repo/archive/v1.tar.gz', destination: 'repo.tar.gz' }) },
      { image: 'aosapps/drone-sonar-plugin', settings: () => map({ sonar_host: '<+input>', sonar_token: '<+input>' }) },
    ]);
    const o: Record<string, Node | undefined> = { connectorRef: this.pick(CONNECTORS), image: p.image, settings: p.settings() };
    if (this.chance(0.08)) o['privileged'] = true;
    if (this.chance(0.08)) o['imagePullPolicy'] = 'IfNotPresent';
    if (this.chance(0.05)) o['entrypoint'] = seq(['/bin/plugin']);
    if (this.chance(0.05)) o['runAsUser'] = '1000';
    if (this.gaps.pluginReports && this.chance(0.15)) {
      o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['reports/*.xml']) }) });
      this.feat('gap-pluginReports');
    }
    return map(o);
  }

  /** ShellScript step (fixture: variables-at-use.yaml; doc "Shell Script step": source.spec.script, environmentVariables, outputVariables name/type/value, executionTarget, onDelegate). */
  private shellScriptSpec(ctx: Ctx, declare: (names: string[]) => void): Node {
    const outs = this.chance(0.45) ? this.sample(OUT_WORDS, this.int(1, 2)) : [];
    const script = this.command(ctx, 'Bash', outs);
    const o: Record<string, Node | undefined> = {
      shell: this.chance(0.9) ? 'Bash' : 'PowerShell',
      executionTarget: map({}),
      source: map({ type: 'Inline', spec: map({ script }) }),
      environmentVariables: seq(this.chance(0.5) ? [map({ name: 'TARGET', type: 'String', value: this.envValue(ctx) })] : []),
      outputVariables: seq(outs.map((name) => map({ name, type: 'String', value: name }))),
    };
    if (this.chance(0.5)) o['onDelegate'] = true;
    if (this.chance(0.2)) o['delegateSelectors'] = seq(['linux-delegate']);
    if (outs.length) this.feat('output-variables-shellscript');
    declare(outs);
    return map(o);
  }

  /** Http step (doc "HTTP step": url, method, headers, outputVariables with <+httpResponseBody>, assertion). */
  private httpSpec(ctx: Ctx, declare: (names: string[]) => void): Node {
    const outs = this.chance(0.4) ? ['STATUS'] : [];
    const o: Record<string, Node | undefined> = {
      url: `https://api.example.com/deployments/${this.expr(ctx)}`,
      method: this.pick(['GET', 'POST']),
      headers: seq([map({ key: 'Content-Type', value: 'application/json' })]),
      inputVariables: seq([]),
      outputVariables: seq(outs.map((name) => map({ name, type: 'String', value: '<+json.object(httpResponseBody).status>' }))),
      assertion: '<+httpResponseCode> == 200',
    };
    if (o['method'] === 'POST') o['requestBody'] = '{"ref": "<+codebase.commitSha>"}';
    declare(outs);
    return map(o);
  }

  private securitySpec(type: string): Node {
    // doc "STO scanner step" (mode, config, target, advanced.log)
    return map({
      mode: this.pick(['orchestration', 'ingestion']),
      config: 'default',
      target: map({ type: this.pick(['repository', 'container']), detection: 'auto' }),
      advanced: map({ log: map({ level: 'info' }) }),
      ...(type === 'Snyk' ? { auth: map({ access_token: '<+secrets.getValue("snyk_token")>' }) } : {}),
    });
  }

  private cdSpec(type: string): Node {
    if (type === 'TerraformPlan' || type === 'TerragruntPlan') return map({ provisionerIdentifier: 'tf_main', configuration: map({ command: 'Apply', configFiles: map({ store: map({ type: 'Github', spec: map({ gitFetchType: 'Branch', connectorRef: 'github', branch: 'main', folderPath: 'infra' }) }) }), secretManagerRef: 'harnessSecretManager' }) });
    return map({ runType: 'Apply', runMessage: 'from Harness', spec: map({ connectorRef: 'tfcloud', organization: 'acme', workspace: 'app', provisionerIdentifier: 'tfc', discardPendingRuns: false }) });
  }

  private otherSpec(type: string, ctx: Ctx): Node {
    switch (type) {
      case 'RunTests':
        // doc "Run Tests step" (language, buildTool, args, runOnlySelectedTests)
        return map({ connectorRef: this.pick(CONNECTORS), image: 'maven:3.9-eclipse-temurin-17', language: 'Java', buildTool: 'Maven', args: 'test', packages: 'io.harness.', runOnlySelectedTests: true, reports: map({ type: 'JUnit', spec: map({ paths: seq(['**/*.xml']) }) }) });
      case 'GitClone':
        return map({ connectorRef: 'account.github', repoName: 'shared-lib', build: map({ type: 'branch', spec: map({ branch: 'main' }) }), cloneDirectory: '/harness/shared' });
      case 'BuildAndPushDockerRegistry':
        // corpus: example-17 (repo, caching, tags, dockerfile, context, labels, buildArgs, target)
        return map({ connectorRef: this.chance(0.2) ? '<+input>' : 'account.dockerhub', repo: 'octocat/hello-world', tags: seq(['latest', `<+pipeline.sequenceId>`]), caching: true, dockerfile: 'Dockerfile', context: '.', labels: map({ latest: 'asd' }), buildArgs: map({ GITHUB_ACCESS_TOKEN: '<+secrets.getValue("gh_token")>' }) });
      case 'Action':
        // doc "Use GitHub Actions": uses, with, env
        return map({ uses: 'actions/setup-go@v5', with: map({ 'go-version': '1.22' }), env: map({ GOPROXY: 'https://proxy.golang.org' }) });
      case 'SaveCacheS3':
        return map({ connectorRef: 'aws', region: 'us-east-1', bucket: 'ci-cache', key: 'cache-{{ checksum "go.sum" }}', sourcePaths: seq(['/go/pkg/mod']), archiveFormat: 'Tar' });
      case 'RestoreCacheGCS':
        return map({ connectorRef: 'gcp', bucket: 'ci-cache', key: 'npm-{{ checksum "package-lock.json" }}', archiveFormat: 'Tar' });
      case 'ArtifactoryUpload':
        // corpus: currentStateSamples (sourcePath, target)
        return map({ connectorRef: 'artifactory', sourcePath: 'target/output1.txt', target: '/artifactory/generic-local/op-ci/' });
      case 'Wait':
        return map({ duration: this.pick(['10m', '1h']) });
      case 'Email':
        return map({ to: 'team@example.com', cc: '', subject: `Pipeline ${this.expr(ctx)}`, body: 'Deployed <+pipeline.sequenceId>' });
      case 'JiraCreate':
        return map({ connectorRef: 'jira', projectKey: 'OPS', issueType: 'Task', fields: seq([map({ name: 'Summary', value: 'Deploy <+pipeline.sequenceId>' })]) });
      default:
        return map({});
    }
  }
}
