/**
 * A plan as one Argo `Workflow` (or `WorkflowTemplate`): the entry DAG runs the stages, each
 * stage and step group is a DAG, each step a container template (dag.ts, container.ts).
 * Everything the workflow cannot do as the plan says is an error located at the step, and
 * nothing is exported then; a step that will likely not work there is a warning.
 */
import { isExecuted, type Plan, type PlanStep } from '../../schemas/index.js';
import { WORKSPACE, outputOf } from './container.js';
import { dagTemplate, scopesOf } from './dag.js';
import { needsResolver, valuesNeeded } from './values.js';
import type { Needed } from './container.js';
import { NameSpace, argoName, labelValue } from './names.js';
import { Problems, type ExportProblem } from './problems.js';

export interface ArgoOptions {
  kind?: 'Workflow' | 'WorkflowTemplate';
  namespace?: string;
  serviceAccount?: string;
  /** `metadata.generateName` (default: the pipeline identifier and `-`). A WorkflowTemplate gets `metadata.name` from it. */
  generateName?: string;
  /** The image of steps that name none (host-backend steps). */
  imageDefault?: string;
  /** The Kubernetes Secret holding every `<+secrets.getValue("x")>`, under key `x` (default `pipewright-secrets`). */
  secretName?: string;
  /** Leave out steps Argo cannot run (external steps such as GitClone) instead of refusing. */
  skipUnsupported?: boolean;
  /** Size of the workspace volume every step mounts at /harness (default 1Gi). */
  workspaceSize?: string;
  /** Storage class of the workspace volume (default: the cluster's). */
  storageClass?: string;
}

export interface ArgoExport {
  /** Undefined when any problem is an error. */
  manifest?: Record<string, unknown>;
  problems: ExportProblem[];
}

export const DEFAULT_SECRET_NAME = 'pipewright-secrets';

/** Exports `plan`; the same plan and options give the same manifest. */
export function exportArgo(plan: Plan, options: ArgoOptions = {}): ArgoExport {
  const problems = new Problems();
  if (plan.partial) problems.error('the plan was compiled with --partial: it holds placeholders and cannot run anywhere', undefined);
  const skipped = new Set<string>();
  for (const s of plan.steps) {
    if (s.strategy)
      problems.error(`${s.id}: a looping strategy expanded only at run time (over outputs or run facts) cannot be exported yet`, s.origin);
    if (isExecuted(s)) continue;
    if (options.skipUnsupported) skipped.add(s.id);
    else
      problems.error(
        `${s.id}: a ${s.type} step is not run by pipewright, so it has no container to export (--skip-unsupported leaves it out)`,
        s.origin,
      );
  }
  for (const st of plan.stages) {
    if (st.strategy) problems.error(`stage ${st.id}: a looping strategy expanded only at run time cannot be exported yet`, st.origin);
    if (st.when?.status === 'Failure') problems.error(`stage ${st.id}: "run on failure" cannot be exported yet`, st.origin);
    if ((st.failure ?? []).some((r) => !['Abort', 'MarkAsFailure'].includes(r.action.type)))
      problems.error(`stage ${st.id}: a stage failure strategy other than Abort or MarkAsFailure cannot be exported yet`, st.origin);
  }
  const missingImage = plan.steps.filter((s) => isExecuted(s) && !s.image && !skipped.has(s.id));
  if (missingImage.length && !options.imageDefault)
    problems.error(
      `steps without an image need --image-default IMAGE on Argo (every step runs in a container there): ${missingImage.map((s) => s.id).join(', ')}`,
      missingImage[0]!.origin,
    );
  const needsOf = needsResolver(plan, skipped);
  const all = valuesNeeded(plan, skipped, needsOf);
  const neededBy = new Map<string, Needed[]>();
  for (const s of plan.steps) {
    if (skipped.has(s.id)) continue;
    checkStep(s, problems);
    // A service a step group started ends with the group on Argo (pipewright keeps it to the end
    // of the stage): a later step outside the group that names it would find it gone.
    const needed = (all.get(s.id) ?? []).filter((n) => {
      if (n.kind !== 'ip' || within(s.id, scopeOf(n.step))) return true;
      if (mentions(s, n.host))
        problems.error(
          `${s.id} uses ${n.host}, a service the step group ${scopeOf(n.step)} started: on Argo a group's services end with the group (pipewright keeps them to the end of the stage); start it in the stage, outside the group`,
          s.origin,
        );
      return false;
    });
    neededBy.set(s.id, needed);
    warnLocalhost(s, needed, problems);
  }
  const out: Record<string, unknown>[] = [];
  const entry = dagTemplate(scopesOf(plan, skipped), {
    plan,
    templates: new NameSpace(),
    options: {
      secretName: options.secretName ?? DEFAULT_SECRET_NAME,
      ...(options.imageDefault ? { imageDefault: options.imageDefault } : {}),
    },
    problems,
    skipped,
    out,
    neededBy,
    needsOf,
    // Steps' outputs, and the outputs a stage's condition reads (that stage is their consumer).
    outputUses: [
      ...[...neededBy].flatMap(([consumer, needed]) => needed.filter((n) => n.kind === 'output').map((value) => ({ consumer, value }))),
      ...plan.stages.flatMap((st) =>
        st.when?.condition ? (st.refs ?? []).filter((r) => r.kind === 'output').map((r) => ({ consumer: st.id, value: outputOf(r) })) : [],
      ),
    ],
  });
  if (problems.hasErrors) return { problems: problems.sorted() };
  const kind = options.kind ?? 'Workflow';
  const prefix = options.generateName ?? `${argoName(plan.pipeline.identifier).toLowerCase()}-`;
  const metadata: Record<string, unknown> = {
    ...(kind === 'Workflow' ? { generateName: prefix } : { name: prefix.replace(/-+$/, '') }),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { 'pipewright.dev/pipeline': labelValue(plan.pipeline.identifier) },
    annotations: { 'pipewright.dev/plan-digest': plan.digest },
  };
  const spec: Record<string, unknown> = {
    entrypoint: entry.name,
    ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
    podMetadata: { labels: { 'pipewright.dev/pipeline': labelValue(plan.pipeline.identifier) } },
    // One workspace for the run, created with it and deleted after it (ReadWriteOnce: the pods
    // run on the volume's node; a ReadWriteMany storage class lifts that).
    volumeClaimTemplates: [
      {
        metadata: { name: WORKSPACE.volume },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(options.storageClass ? { storageClassName: options.storageClass } : {}),
          resources: { requests: { storage: options.workspaceSize ?? '1Gi' } },
        },
      },
    ],
    templates: out,
  };
  return { manifest: { apiVersion: 'argoproj.io/v1alpha1', kind, metadata, spec }, problems: problems.sorted() };
}

/** The scope (`stage` or `stage.group`) a step id sits in. */
const scopeOf = (id: string) => id.slice(0, id.lastIndexOf('.'));

/** Whether step `id` sits in `scope` or below it. */
const within = (id: string, scope: string) => id.startsWith(`${scope}.`);

const hostWords = new Map<string, RegExp>();

/** Whether a step's command, environment or arguments name `host` as a word. */
function mentions(s: PlanStep, host: string): boolean {
  if (!isExecuted(s)) return false;
  let word = hostWords.get(host);
  if (!word) hostWords.set(host, (word = new RegExp(`(^|[^A-Za-z0-9_.-])${host.replace(/[$]/g, '\\$&')}($|[^A-Za-z0-9_-])`)));
  return word.test(s.command ?? '') || Object.values(s.env).some((t) => word.test(t)) || (s.args ?? []).some((t) => word.test(t));
}

/** What a single step asks for that Argo cannot give. */
function checkStep(s: PlanStep, problems: Problems): void {
  if (s.when?.status === 'Failure') problems.error(`${s.id}: "run on failure" cannot be exported yet`, s.origin);
}

/**
 * A service in another pod is not on `localhost`: a step that calls one through localhost or
 * 127.0.0.1 works with pipewright's backends (one host, one network namespace per stage) but
 * not on Argo. The step id as hostname works on every backend.
 */
function warnLocalhost(s: PlanStep, needed: Needed[], problems: Problems): void {
  const hosts = needed.filter((n) => n.kind === 'ip');
  if (!hosts.length || !isExecuted(s)) return;
  const texts = [s.command ?? '', ...Object.values(s.env), ...(s.args ?? [])];
  if (texts.some((t) => /\b(localhost|127\.0\.0\.1)\b/.test(t))) {
    const names = hosts.map((h) => (h.kind === 'ip' ? h.host : '')).join(', ');
    problems.warn(
      `${s.id} reaches a service through localhost or 127.0.0.1, which on Argo is its own pod: use the service's step id as the hostname (${names}), which works on every backend`,
      s.origin,
    );
  }
}
