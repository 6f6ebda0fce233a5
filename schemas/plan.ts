/**
 * TypeScript types of the plan (`plan.schema.json`). The plan is the contract between the
 * compiler, the runtime and the audit: every consumer reads these types, none reads YAML.
 */

export const PLAN_API_VERSION = 'pipewright.dev/v1';

export type Backend = 'host' | 'docker';
export type StepKind = 'run' | 'background' | 'service' | 'external';
export type PlanShell = 'sh' | 'bash' | 'python' | 'pwsh' | 'powershell';

export interface TemplateUse {
  ref: string;
  version: string;
  digest: string;
}

/** One link of a step's template chain: the template and where in it the next node sits. */
export interface TemplateLink extends TemplateUse {
  file: string;
  line: number;
}

/** Where a step came from: its node in the pipeline file and the templates, outermost first. */
export interface Origin {
  file: string;
  line: number;
  column: number;
  templates: TemplateLink[];
}

/** `status` is Harness's stageStatus (for steps) or pipelineStatus (for stages). */
export interface PlanWhen {
  status?: 'Success' | 'Failure' | 'All';
  condition?: string;
}

export interface FailureAction {
  type: string;
  retryCount?: number;
  retryIntervalsMs?: number[];
  onRetryFailure?: string;
  timeoutMs?: number;
  onTimeout?: string;
}

export interface FailureRule {
  /** Harness error types: AllErrors, Timeout, Unknown, ... */
  errors: string[];
  action: FailureAction;
}

export interface PlanReadiness {
  /** A port may be an expression the run fills in (`<+matrix.port>` of a run-time copy). */
  tcp?: { host?: string; ports: (number | string)[] };
  http?: { url: string; status: number };
  exec?: { command: string };
  log?: { pattern: string };
  timeoutMs: number;
  intervalMs: number;
}

/**
 * A runtime reference left in a command or env value. The runtime replaces `expr` text:
 * an `output` with output `name` of plan step `step`, a `secret` with the secret `name`,
 * a `runtime` expression (sequence id, codebase, ...) from its run context.
 */
export interface PlanRef {
  expr: string;
  kind: 'output' | 'secret' | 'runtime';
  step?: string;
  name?: string;
}

/**
 * A template the stage names without pipewright expanding it (its content is Harness's
 * business): a deployment template, an artifact source, a monitored service.
 */
export interface PlanTemplateReference {
  /** The Harness field that names it. */
  field: 'customDeploymentRef' | 'artifactSource' | 'monitoredService';
  type: 'CustomDeployment' | 'ArtifactSource' | 'MonitoredService';
  ref: string;
  /** The version label as written, when one is. */
  selector?: string;
  /** The version a template source resolved it to; absent when no source has the template. */
  version?: string;
  digest?: string;
  /** Where it is written; when resolved, the chain ends with the template's own link. */
  origin: Origin;
}

export interface PlanStage {
  id: string;
  name: string;
  type: string;
  backend: Backend;
  needs: string[];
  when?: PlanWhen;
  /** Expressions in the stage's condition only a run can fill (earlier stages' outputs, run facts). */
  refs?: PlanRef[];
  /** A strategy only the run can expand: the run makes the stage's copies when it is reached. */
  strategy?: Record<string, unknown>;
  /** Templates the stage names but pipewright does not expand (recorded for provenance). */
  references?: PlanTemplateReference[];
  variables: Record<string, string | number | boolean>;
  infrastructure?: { type?: string; os?: string; arch?: string };
  failure?: FailureRule[];
  timeoutMs?: number;
  origin?: Origin;
}

export interface PlanPort {
  host: number;
  container: number;
}

/** What every plan step has, whatever its kind. */
export interface PlanStepBase {
  /** `stage.step` or `stage.group.step`; unique in the plan. */
  id: string;
  stage: string;
  kind: StepKind;
  /** The Harness step type it came from (Run, Background, Plugin, Service, GitClone, ...). */
  type: string;
  name: string;
  /** Plan step ids that must finish (or, for background steps, be ready) first. */
  needs: string[];
  env: Record<string, string>;
  timeoutMs?: number;
  failure?: FailureRule[];
  when?: PlanWhen;
  refs?: PlanRef[];
  /** Matrix / parallelism / repeat values this copy was expanded with. */
  matrix?: Record<string, unknown>;
  maxConcurrency?: number;
  /**
   * A looping strategy only the run can expand (axes, count or items are expressions over
   * earlier steps' outputs or run facts), as written with compile-time values filled in: the
   * run makes the copies `ID_0`, `ID_1`, ... when the step is reached.
   */
  strategy?: Record<string, unknown>;
  /** Set when `strategy` is an enclosing step group's (its id): the run copies the group's steps together. */
  strategyOf?: string;
  origin: Origin;
}

/** What a step that pipewright executes itself (a process or a container) may have. */
export interface ExecutedStepFields {
  image?: string;
  connectorRef?: string;
  command?: string;
  entrypoint?: string[];
  args?: string[];
  privileged?: boolean;
  runAsUser?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  resources?: Record<string, unknown>;
  reports?: Record<string, unknown>;
}

/** A Run or Plugin step: runs to completion; may declare output variables. */
export interface RunStep extends PlanStepBase, ExecutedStepFields {
  kind: 'run';
  /** A Run step's shell; Plugin steps run their image's entrypoint and have none. */
  shell?: PlanShell;
  outputs?: string[];
}

/** A Background step: started, proven ready, kept running until its stage ends. */
export interface BackgroundStep extends PlanStepBase, ExecutedStepFields {
  kind: 'background';
  shell: PlanShell;
  ports?: PlanPort[];
  readiness?: PlanReadiness;
}

/** A stage's service dependency: a container started before the stage's steps, kept like a Background step. */
export interface ServiceStep extends PlanStepBase, ExecutedStepFields {
  kind: 'service';
  ports?: PlanPort[];
  readiness?: PlanReadiness;
}

/** A step pipewright records but does not execute (GitClone, a CD step, ...): its spec as written, after template expansion. */
export interface ExternalStep extends PlanStepBase {
  kind: 'external';
  spec: Record<string, unknown>;
}

/** One step of the plan, discriminated by `kind`. */
export type PlanStep = RunStep | BackgroundStep | ServiceStep | ExternalStep;

/** The steps pipewright runs itself (a process, or a container). */
export type ExecutedStep = RunStep | BackgroundStep | ServiceStep;

/** The long-lived kinds: started, proven ready, torn down when their stage ends. */
export type LongLivedStep = BackgroundStep | ServiceStep;

/** Whether pipewright runs `step` itself (not an external step). */
export function isExecuted(step: PlanStep): step is ExecutedStep {
  return step.kind !== 'external';
}

/** The image a step runs in, when pipewright runs it in one (external steps have none). */
export function imageOf(step: PlanStep): string | undefined {
  return isExecuted(step) ? step.image : undefined;
}

/** Whether `step` is a Background step or a service. */
export function isLongLived(step: PlanStep): step is LongLivedStep {
  return step.kind === 'background' || step.kind === 'service';
}

/** The plan document as the compiler assembles it (mutable while it is built). */
export interface PlanDocument {
  apiVersion: typeof PLAN_API_VERSION;
  kind: 'Plan';
  pipeline: { identifier: string; name: string; variables?: Record<string, string | number | boolean> };
  templates: TemplateUse[];
  stages: PlanStage[];
  /** A topological order of `needs`. */
  steps: PlanStep[];
  /** Compiled with --partial and holding placeholders (open inputs, missing templates): `run` refuses it. */
  partial?: true;
  digest: string;
}

/**
 * A compiled plan, read-only: its fields cannot be reassigned and its lists of templates,
 * stages and steps cannot be changed in place. Whoever runs, audits or exports a plan makes
 * new objects for what it changes (the runtime's filled-in steps, strategy copies), so a plan
 * read once stays the plan its digest names.
 */
export type Plan = Readonly<
  Omit<PlanDocument, 'templates' | 'stages' | 'steps'> & {
    templates: readonly TemplateUse[];
    stages: readonly PlanStage[];
    steps: readonly PlanStep[];
  }
>;
