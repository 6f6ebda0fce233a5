/**
 * One plan step as an Argo container template: its image, its script, its environment with
 * secrets from a Kubernetes Secret, its output variables as output parameters, its readiness
 * as a readinessProbe (Background steps and services are `daemon: true`), its retries and
 * timeout, and labels naming the template version that produced it.
 *
 * Values only the run knows (another step's output, a service's address) arrive as input
 * parameters the enclosing DAG passes (dag.ts); `inputs` below names each one.
 */
import { isLongLived, type ExecutedStep, type PlanReadiness, type PlanRef } from '../../schemas/index.js';
import { labelValue } from './names.js';
import { refPattern } from './ref-pattern.js';
import type { Problems } from './problems.js';

/** Where the step's shell writes its output variables, one file per variable. */
export const OUTPUTS_DIR = '/tmp/pipewright-outputs';

export interface ContainerOptions {
  imageDefault?: string;
  secretName: string;
}

/** The workflow's shared workspace volume and where every step sees it (as on the Docker backend). */
export const WORKSPACE = { volume: 'workspace', mountPath: '/harness' } as const;

/** A value the template takes as an input parameter: a service's pod IP or another step's output. */
export type Needed = { kind: 'ip'; step: string; host: string } | { kind: 'output'; step: string; name: string };

/** The input parameter name of a needed value (unique per value within a workflow). */
export function paramOf(n: Needed): string {
  const id = n.step.replace(/[^a-zA-Z0-9]+/g, '-');
  return n.kind === 'ip' ? `ip-${id}` : `out-${id}-${n.name.replace(/[^a-zA-Z0-9_-]+/g, '-')}`;
}

/** The container template of `step`, or undefined after reporting why it cannot be one. */
export function containerTemplate(
  name: string,
  step: ExecutedStep,
  needed: Needed[],
  pipeline: string,
  options: ContainerOptions,
  problems: Problems,
): Record<string, unknown> | undefined {
  const image = step.image ?? options.imageDefault;
  if (!image) return undefined; // reported once for all such steps by the workflow
  const env: Record<string, unknown>[] = [];
  const secretVars = new Map<string, string>();
  const secretVar = (secret: string): string => {
    let v = secretVars.get(secret);
    if (!v) {
      v = `PW_SECRET_${secret.replace(/[^a-zA-Z0-9]+/g, '_').toUpperCase()}`;
      secretVars.set(secret, v);
      env.push({ name: v, valueFrom: { secretKeyRef: { name: options.secretName, key: secretKey(secret) } } });
    }
    return v;
  };
  const refs = step.refs ?? [];
  for (const r of refs)
    if (r.kind === 'runtime')
      problems.error(
        `${step.id}: ${r.expr} is known only to a pipewright run; Argo has no value for it (write the value into the pipeline, or use a pipeline input)`,
        step.origin,
      );
  // In the script: a secret as its environment variable, an output as the input parameter.
  const inScript = (text: string) =>
    replaceRefs(text, refs, (r) =>
      r.kind === 'secret'
        ? `\${${secretVar(r.name ?? '')}}`
        : r.kind === 'output'
          ? `{{inputs.parameters.${paramOf(outputOf(r))}}}`
          : r.expr,
    );
  // In an environment value: Kubernetes expands `$(VAR)` of variables defined before it.
  const inEnv = (text: string) =>
    replaceRefs(text, refs, (r) =>
      r.kind === 'secret'
        ? `$(${secretVar(r.name ?? '')})`
        : r.kind === 'output'
          ? `{{inputs.parameters.${paramOf(outputOf(r))}}}`
          : r.expr,
    );
  const plain: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(step.env)) {
    const whole = refs.find((r) => r.kind === 'secret' && r.expr === v);
    if (whole) plain.push({ name: k, valueFrom: { secretKeyRef: { name: options.secretName, key: secretKey(whole.name ?? '') } } });
    else plain.push({ name: k, value: inEnv(v) });
  }
  // Every step works in the workflow's one workspace volume, as a stage's steps share the workspace in pipewright.
  const container: Record<string, unknown> = {
    name: 'main',
    image,
    workingDir: WORKSPACE.mountPath,
    volumeMounts: [{ name: WORKSPACE.volume, mountPath: WORKSPACE.mountPath }],
  };
  const outputs = step.kind === 'run' ? (step.outputs ?? []) : [];
  const script = step.command === undefined ? undefined : inScript(step.command);
  if (script !== undefined) {
    const shell = step.kind === 'service' ? 'sh' : (step.shell ?? 'sh');
    const run = shellCommand(shell, script, outputs);
    if (!run) {
      problems.error(`${step.id}: a ${shell} step's output variables cannot be exported yet (sh, bash and python can)`, step.origin);
      return undefined;
    }
    Object.assign(container, run);
  } else {
    if (step.entrypoint) container['command'] = [...step.entrypoint];
    if (step.args) container['args'] = step.args.map(inScript);
  }
  const allEnv = [...env, ...plain];
  if (allEnv.length) container['env'] = allEnv;
  if (step.imagePullPolicy) container['imagePullPolicy'] = step.imagePullPolicy;
  if (step.privileged) container['securityContext'] = { privileged: true };
  const t: Record<string, unknown> = { name, metadata: { labels: labelsOf(step, pipeline), annotations: annotationsOf(step) } };
  if (needed.length) t['inputs'] = { parameters: needed.map((n) => ({ name: paramOf(n) })) };
  const hosts = needed.filter((n): n is Extract<Needed, { kind: 'ip' }> => n.kind === 'ip');
  if (hosts.length) t['hostAliases'] = hosts.map((h) => ({ ip: `{{inputs.parameters.${paramOf(h)}}}`, hostnames: [h.host] }));
  if (isLongLived(step)) {
    t['daemon'] = true;
    const probe = step.readiness ? readinessProbe(step.id, step.readiness, step.origin, problems) : undefined;
    if (probe) container['readinessProbe'] = probe;
  }
  t['container'] = container;
  if (outputs.length)
    t['outputs'] = { parameters: outputs.map((o) => ({ name: o, valueFrom: { path: `${OUTPUTS_DIR}/${o}`, default: '' } })) };
  if (step.timeoutMs !== undefined) t['activeDeadlineSeconds'] = String(Math.ceil(step.timeoutMs / 1000));
  return t;
}

/** The needed value an output reference names. */
export function outputOf(r: PlanRef): Needed {
  return { kind: 'output', step: r.step ?? '', name: r.name ?? '' };
}

/** A Kubernetes Secret key for a Harness secret id (`account.db_password` stays as it is). */
export function secretKey(secret: string): string {
  return secret.replace(/[^-._a-zA-Z0-9]+/g, '_');
}

/** Replaces each reference's text in one pass (a replacement is never rescanned). */
function replaceRefs(text: string, refs: PlanRef[], by: (r: PlanRef) => string): string {
  const found = refPattern(text, refs);
  return found ? text.replace(found.re, (m) => by(found.byExpr.get(m)!)) : text;
}

/**
 * The container's command and args running `script` in `shell`, writing each output variable
 * to its own file at exit (as the host backend's exit trap does), or undefined when the shell
 * cannot write them here.
 */
function shellCommand(shell: string, script: string, outputs: string[]): { command: string[]; args: string[] } | undefined {
  const names = outputs.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  switch (shell) {
    case 'sh':
    case 'bash': {
      const trap = names.length
        ? `trap '__pw_rc=$?; mkdir -p ${OUTPUTS_DIR}; ${names.map((n) => `printf "%s" "\${${n}-}" > ${OUTPUTS_DIR}/${n}`).join('; ')}; exit $__pw_rc' EXIT\n`
        : '';
      return { command: [shell, '-e', '-c'], args: [trap + script] };
    }
    case 'python': {
      const hook = names.length
        ? `import atexit as __pw_a, os as __pw_o\n__pw_o.makedirs(${JSON.stringify(OUTPUTS_DIR)}, exist_ok=True)\n__pw_a.register(lambda: [open(${JSON.stringify(OUTPUTS_DIR)} + '/' + n, 'w').write(__pw_o.environ.get(n, '')) for n in ${JSON.stringify(names)}])\n`
        : '';
      return { command: ['python3', '-c'], args: [hook + script] };
    }
    default:
      if (names.length) return undefined;
      return { command: ['pwsh', '-NoProfile', '-NonInteractive', '-Command'], args: [script] };
  }
}

/**
 * A readinessProbe from the plan's readiness: tcp → tcpSocket, http → httpGet, exec → exec.
 * The kubelet probes the pod itself, so the host of a tcp or http check is dropped (it names
 * the service, which is the pod). Log readiness has no probe: refused.
 */
function readinessProbe(id: string, r: PlanReadiness, at: ExecutedStep['origin'], problems: Problems): Record<string, unknown> | undefined {
  const periodSeconds = Math.max(1, Math.ceil(r.intervalMs / 1000));
  const timing = { periodSeconds, failureThreshold: Math.max(1, Math.ceil(r.timeoutMs / 1000 / periodSeconds)) };
  if (r.tcp) {
    if (r.tcp.ports.length > 1)
      problems.warn(`${id}: a readinessProbe checks one port; exported with the first of ${r.tcp.ports.join(', ')}`, at);
    return { tcpSocket: { port: String(r.tcp.ports[0]) }, ...timing };
  }
  if (r.http) {
    let url: URL;
    try {
      url = new URL(r.http.url);
    } catch {
      problems.error(`${id}: readiness url ${r.http.url} is not a URL a probe can use`, at);
      return undefined;
    }
    if (r.http.status !== 200)
      problems.warn(`${id}: a Kubernetes httpGet probe accepts any 2xx or 3xx status, not only ${r.http.status}`, at);
    return {
      httpGet: {
        path: `${url.pathname}${url.search}`,
        port: url.port || (url.protocol === 'https:' ? '443' : '80'),
        scheme: url.protocol === 'https:' ? 'HTTPS' : 'HTTP',
      },
      ...timing,
    };
  }
  if (r.exec) return { exec: { command: ['sh', '-c', r.exec.command] }, ...timing };
  if (r.log)
    problems.error(
      `${id}: log readiness (waiting for /${r.log.pattern}/ in the output) has no Kubernetes probe; give the service a tcp, http or exec readiness check to export it`,
      at,
    );
  return undefined;
}

/** The step's provenance as labels: the pipeline, the step, and the innermost template's ref and version. */
function labelsOf(step: ExecutedStep, pipeline: string): Record<string, string> {
  const labels: Record<string, string> = { 'pipewright.dev/pipeline': labelValue(pipeline), 'pipewright.dev/step': labelValue(step.id) };
  const t = step.origin.templates[step.origin.templates.length - 1];
  if (t) {
    labels['pipewright.dev/template'] = labelValue(t.ref);
    labels['pipewright.dev/template-version'] = labelValue(t.version);
    // A label value holds 63 characters: the digest's first 32 hex digits (the annotation has it whole).
    labels['pipewright.dev/template-digest'] = t.digest.replace(/^sha256:/, '').slice(0, 32);
  }
  return labels;
}

/** Where the step comes from, whole: file and line, and every template of its chain with its digest. */
function annotationsOf(step: ExecutedStep): Record<string, string> {
  const a: Record<string, string> = { 'pipewright.dev/origin': `${step.origin.file}:${step.origin.line}:${step.origin.column}` };
  if (step.origin.templates.length)
    a['pipewright.dev/templates'] = step.origin.templates.map((t) => `${t.ref}@${t.version} ${t.digest}`).join(', ');
  return a;
}
