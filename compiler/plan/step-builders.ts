/**
 * From one expanded step node to one plan step, one builder per kind: Run steps (and Plugin
 * steps, containers with `PLUGIN_*` settings) become `run` steps, Background steps
 * `background`, a stage's service dependencies `service`; every other Harness type is carried
 * as an `external` step holding its type and spec.
 */
import type { BackgroundStep, ExecutedStepFields, ExternalStep, PlanShell, PlanStep, RunStep, ServiceStep } from '../../schemas/index.js';
import { Codes, LocatedError } from '../diagnostics.js';
import { textOf } from '../text.js';
import { SHELLS, env, list, pluginEnv, portBindings, readinessOf } from './step-fields.js';
import { deepSubstitute, obj, str, timeoutOf, type BuildContext, type Obj } from './steps.js';

/** A plan step without what flattening adds (id, stage, needs, origin). */
type Body<S extends PlanStep> = Omit<S, 'id' | 'stage' | 'needs' | 'origin'>;

/** The body of any kind of step. */
export type StepBody = Body<RunStep> | Body<BackgroundStep> | Body<ServiceStep> | Body<ExternalStep>;

/** Builds a step node (`kind: 'service'` for a stage's service dependency) with the builder of its kind. */
export function buildStep(node: Obj, kind: 'step' | 'service', ctx: BuildContext): StepBody {
  if (kind === 'service') return serviceStep(node, ctx);
  const type = textOf(node['type'] ?? '');
  switch (type) {
    case 'Run':
    case 'Plugin':
      return runStep(node, type, ctx);
    case 'Background':
      return backgroundStep(node, ctx);
    default:
      return externalStep(node, type, ctx);
  }
}

/** A Run step (with its shell and declared outputs) or a Plugin step (its image's entrypoint, settings as `PLUGIN_*`). */
export function runStep(node: Obj, type: 'Run' | 'Plugin', ctx: BuildContext): Body<RunStep> {
  const spec = obj(node['spec']);
  const out: Body<RunStep> = { kind: 'run', type, name: nameOf(node, ctx), ...executedFields(spec, ctx) };
  if (type === 'Run') out.shell = shellOf(spec, ctx);
  else Object.assign(out.env, pluginEnv(spec['settings'], spec, ctx));
  if (Array.isArray(spec['outputVariables'])) {
    const names = (spec['outputVariables'] as unknown[]).map((o) => textOf(obj(o)['name'] ?? '')).filter(Boolean);
    if (names.length) out.outputs = names;
  }
  return withTimeout(out, node, ctx);
}

/** A Background step: its shell, ports and readiness probe. */
export function backgroundStep(node: Obj, ctx: BuildContext): Body<BackgroundStep> {
  const spec = obj(node['spec']);
  const out: Body<BackgroundStep> = {
    kind: 'background',
    type: 'Background',
    name: nameOf(node, ctx),
    ...executedFields(spec, ctx),
    shell: shellOf(spec, ctx),
  };
  Object.assign(out, longLived(spec, ctx));
  return withTimeout(out, node, ctx);
}

/** A stage's service dependency: a container with ports and readiness, like a Background step without a shell. */
export function serviceStep(node: Obj, ctx: BuildContext): Body<ServiceStep> {
  const spec = obj(node['spec']);
  const out: Body<ServiceStep> = { kind: 'service', type: 'Service', name: nameOf(node, ctx), ...executedFields(spec, ctx) };
  Object.assign(out, longLived(spec, ctx));
  return withTimeout(out, node, ctx);
}

/** A step pipewright does not execute: its spec as written, with expressions substituted. */
export function externalStep(node: Obj, type: string, ctx: BuildContext): Body<ExternalStep> {
  const out: Body<ExternalStep> = {
    kind: 'external',
    type,
    name: nameOf(node, ctx),
    env: {},
    spec: deepSubstitute(obj(node['spec']), ctx) as Obj,
  };
  return withTimeout(out, node, ctx);
}

function nameOf(node: Obj, ctx: BuildContext): string {
  return textOf(str(node['name'] ?? node['identifier'], 'name', node, ctx) ?? node['identifier']);
}

/** The fields every executed step reads from its spec (the environment among them). */
function executedFields(spec: Obj, ctx: BuildContext): ExecutedStepFields & { env: Record<string, string> } {
  const s = (v: unknown, field: string) => str(v, field, spec, ctx);
  const out: ExecutedStepFields & { env: Record<string, string> } = { env: {} };
  const image = s(spec['image'], 'image');
  if (typeof image === 'string' && image !== '') out.image = image;
  const connectorRef = s(spec['connectorRef'], 'connectorRef');
  if (typeof connectorRef === 'string' && connectorRef !== '') out.connectorRef = connectorRef;
  const command = s(spec['command'], 'command');
  if (command !== undefined && command !== null && command !== '') out.command = textOf(command);
  out.env = env(spec['envVariables'], spec, ctx);
  const entry = list(spec['entrypoint'], 'entrypoint', spec, ctx);
  if (entry) out.entrypoint = entry;
  const args = list(spec['args'], 'args', spec, ctx);
  if (args) out.args = args;
  const privileged = spec['privileged'];
  if (privileged === true || privileged === 'true') out.privileged = true;
  if (spec['runAsUser'] !== undefined && spec['runAsUser'] !== null && spec['runAsUser'] !== '')
    out.runAsUser = textOf(s(spec['runAsUser'], 'runAsUser'));
  const pull = spec['imagePullPolicy'];
  if (pull === 'Always' || pull === 'IfNotPresent' || pull === 'Never') out.imagePullPolicy = pull;
  if (spec['resources'] && typeof spec['resources'] === 'object') out.resources = deepSubstitute(spec['resources'], ctx) as Obj;
  if (spec['reports'] && typeof spec['reports'] === 'object') out.reports = deepSubstitute(spec['reports'], ctx) as Obj;
  return out;
}

/** Ports and readiness of a Background step or service. */
function longLived(spec: Obj, ctx: BuildContext): Pick<BackgroundStep, 'ports' | 'readiness'> {
  const out: Pick<BackgroundStep, 'ports' | 'readiness'> = {};
  const ports = portBindings(spec['portBindings'], spec, ctx);
  if (ports.length) out.ports = ports;
  const readiness = readinessOf(spec['readiness'], ports, spec, ctx);
  if (readiness) out.readiness = readiness;
  return out;
}

/** The shell a Run or Background step runs its command with (Sh by default; one decided at run time is assumed Sh). */
function shellOf(spec: Obj, ctx: BuildContext): PlanShell {
  const shellText = textOf(spec['shell'] ?? 'Sh').toLowerCase();
  const open = typeof spec['shell'] === 'string' && spec['shell'].startsWith('<+');
  if (open) {
    ctx.bag.warn(Codes.RUNTIME_INPUT_MISSING, `shell is decided at run time; the plan assumes Sh`, ctx.positions.at(spec, 'shell', ctx.at));
    return 'sh';
  }
  const shell = SHELLS[shellText];
  if (!shell)
    throw new LocatedError(
      Codes.SCHEMA,
      `unknown shell '${textOf(spec['shell'])}' (Sh, Bash, Python, Pwsh, PowerShell)`,
      ctx.positions.at(spec, 'shell', ctx.at),
    );
  return shell;
}

function withTimeout<B extends StepBody>(out: B, node: Obj, ctx: BuildContext): B {
  const t = timeoutOf(node, ctx);
  if (t !== undefined) out.timeoutMs = t;
  return out;
}
