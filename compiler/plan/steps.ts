/**
 * From one expanded step node to one plan step: the typed model of DESIGN.md section 3.
 * Run and Background steps and stage services become executable steps; Plugin steps become
 * container steps with `PLUGIN_*` settings; every other Harness type is carried as an
 * `external` step holding its type and spec.
 */
import { textOf } from '../text.js';
import type { FailureRule, PlanPort, PlanReadiness, PlanShell, PlanStep, PlanWhen, StepKind } from '../../schemas/index.js';
import { regexProblem } from '../../schemas/index.js';
import { Codes, LocatedError, type DiagnosticBag, type Location } from '../diagnostics.js';
import { parseDuration } from '../expressions/duration.js';
import type { ExprScope } from '../expressions/expressions.js';
import { checkCondition, staticCondition, unwrapped } from '../../schemas/index.js';
import { substitute, type SubstituteSink } from '../expressions/substitute.js';
import { isRuntimeInput } from '../inputs/runtime-inputs.js';
import type { Positions } from '../yaml/index.js';
import { setOwn } from '../own.js';

/** Readiness defaults when a probe gives none. */
export const DEFAULT_READINESS_TIMEOUT_MS = 60_000;
export const DEFAULT_READINESS_INTERVAL_MS = 200;

const SHELLS: Record<string, PlanShell> = {
  sh: 'sh',
  bash: 'bash',
  python: 'python',
  pwsh: 'pwsh',
  powershell: 'powershell',
};

/** What the builder needs besides the node. */
export interface BuildContext {
  scope: ExprScope;
  sink: SubstituteSink;
  bag: DiagnosticBag;
  /** Location of the node, for messages without a more precise field. */
  at: Location;
  /** Where the values of this compile were written. */
  positions: Positions;
}

type Obj = Record<string, unknown>;

/** What a helper needs to locate its problems: the node's location and the compile's table. */
export type Located = Pick<BuildContext, 'at' | 'positions'>;

function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

/** Builds the executable fields of a step (everything but id, stage, needs, origin). */
export function buildStepBody(node: Obj, kind: 'step' | 'service', ctx: BuildContext): Omit<PlanStep, 'id' | 'stage' | 'needs' | 'origin'> {
  const type = kind === 'service' ? 'Service' : textOf(node['type'] ?? '');
  const spec = obj(node['spec']);
  const s = (v: unknown, field: string, holder: Obj = spec) => str(v, field, holder, ctx);
  const name = String(s(node['name'] ?? node['identifier'], 'name', node) ?? node['identifier']);
  let stepKind: StepKind;
  switch (type) {
    case 'Run':
      stepKind = 'run';
      break;
    case 'Plugin':
      stepKind = 'run';
      break;
    case 'Background':
      stepKind = 'background';
      break;
    case 'Service':
      stepKind = 'service';
      break;
    default:
      stepKind = 'external';
  }
  const out: Omit<PlanStep, 'id' | 'stage' | 'needs' | 'origin'> = { kind: stepKind, type, name, env: {} };
  if (stepKind === 'external') {
    out.spec = deepSubstitute(spec, ctx) as Obj;
    common(out, node, ctx);
    return out;
  }
  const image = s(spec['image'], 'image');
  if (typeof image === 'string' && image !== '') out.image = image;
  const connectorRef = s(spec['connectorRef'], 'connectorRef');
  if (typeof connectorRef === 'string' && connectorRef !== '') out.connectorRef = connectorRef;
  if (stepKind !== 'service' && type !== 'Plugin') {
    const shellText = textOf(spec['shell'] ?? 'Sh').toLowerCase();
    const open = typeof spec['shell'] === 'string' && spec['shell'].startsWith('<+');
    if (open)
      ctx.bag.warn(
        Codes.RUNTIME_INPUT_MISSING,
        `shell is decided at run time; the plan assumes Sh`,
        ctx.positions.at(spec, 'shell', ctx.at),
      );
    const shell = open ? 'sh' : SHELLS[shellText];
    if (!shell)
      throw new LocatedError(
        Codes.SCHEMA,
        `unknown shell '${String(spec['shell'])}' (Sh, Bash, Python, Pwsh, PowerShell)`,
        ctx.positions.at(spec, 'shell', ctx.at),
      );
    out.shell = shell;
  }
  const command = s(spec['command'], 'command');
  if (command !== undefined && command !== null && command !== '') out.command = textOf(command);
  out.env = env(spec['envVariables'], spec, ctx);
  if (type === 'Plugin') Object.assign(out.env, pluginEnv(spec['settings'], spec, ctx));
  const entry = list(spec['entrypoint'], 'entrypoint', spec, ctx);
  if (entry) out.entrypoint = entry;
  const args = list(spec['args'], 'args', spec, ctx);
  if (args) out.args = args;
  if (stepKind === 'background' || stepKind === 'service') {
    const ports = portBindings(spec['portBindings'], spec, ctx);
    if (ports.length) out.ports = ports;
    const readiness = readinessOf(spec['readiness'], ports, spec, ctx);
    if (readiness) out.readiness = readiness;
  }
  if (stepKind === 'run' && Array.isArray(spec['outputVariables'])) {
    const names = (spec['outputVariables'] as unknown[]).map((o) => textOf(obj(o)['name'] ?? '')).filter(Boolean);
    if (names.length) out.outputs = names;
  }
  const privileged = spec['privileged'];
  if (privileged === true || privileged === 'true') out.privileged = true;
  if (spec['runAsUser'] !== undefined && spec['runAsUser'] !== null && spec['runAsUser'] !== '')
    out.runAsUser = String(s(spec['runAsUser'], 'runAsUser'));
  const pull = spec['imagePullPolicy'];
  if (pull === 'Always' || pull === 'IfNotPresent' || pull === 'Never') out.imagePullPolicy = pull;
  if (spec['resources'] && typeof spec['resources'] === 'object') out.resources = deepSubstitute(spec['resources'], ctx) as Obj;
  if (spec['reports'] && typeof spec['reports'] === 'object') out.reports = deepSubstitute(spec['reports'], ctx) as Obj;
  common(out, node, ctx);
  return out;
}

/** Timeout of a step node. */
function common(out: Omit<PlanStep, 'id' | 'stage' | 'needs' | 'origin'>, node: Obj, ctx: BuildContext): void {
  const t = timeoutOf(node, ctx);
  if (t !== undefined) out.timeoutMs = t;
}

/** Milliseconds of `node.timeout`, or undefined; throws PW2006 when it is not a duration. */
export function timeoutOf(node: Obj, ctx: Located | BuildContext): number | undefined {
  let raw = node['timeout'];
  if (typeof raw === 'string' && raw.includes('<+')) {
    if (raw.startsWith('<+input')) return undefined;
    // `<+pipeline.variables.to>`, `<+matrix.t>`: known now when static.
    const before = 'bag' in ctx ? ctx.bag.items.length : 0;
    if ('scope' in ctx) raw = substituteAt(raw, node, 'timeout', { ...ctx, sink: { ...ctx.sink, refs: new Map() } });
    if (typeof raw === 'string' && raw.includes('<+')) {
      // Said once: an expression that was itself a problem (PW3012) gets no second word.
      if ('bag' in ctx && ctx.bag.items.length === before)
        ctx.bag.warn(
          Codes.DYNAMIC_STRATEGY,
          `timeout ${raw} is known only at run time: the plan has no timeout here`,
          ctx.positions.at(node, 'timeout', ctx.at),
        );
      return undefined;
    }
  }
  const ms = parseDuration(raw);
  if (ms === null)
    throw new LocatedError(
      Codes.INVALID_DURATION,
      `'${String(raw)}' is not a duration (like 45s, 10m, 1h30m)`,
      ctx.positions.at(node, 'timeout', ctx.at),
    );
  return ms;
}

function str(v: unknown, field: string, holder: Obj, ctx: BuildContext): unknown {
  if (typeof v !== 'string') return v;
  return substituteAt(v, holder, field, ctx);
}

/** Substitutes expressions of one field, reporting problems at that field. */
export function substituteAt(v: string, holder: object, field: string | number, ctx: BuildContext, quote = false): unknown {
  if (!v.includes('<+')) return v;
  const at = ctx.positions.at(holder, field, ctx.at);
  const sink: SubstituteSink = {
    refs: ctx.sink.refs,
    output: (path, name, crossStage) => ctx.sink.output(path, name, crossStage),
    problem: (code, message) => {
      const c =
        code === 'unknown-variable'
          ? Codes.EXPRESSION_UNRESOLVED
          : code === 'output'
            ? Codes.OUTPUT_REFERENCE
            : code === 'too-large'
              ? Codes.EXPANSION_TOO_LARGE
              : Codes.EXPRESSION_SYNTAX;
      ctx.bag.error(c, message, at);
    },
  };
  return substitute(v, ctx.scope, sink, { quote });
}

/** `substituteAt` over every string of a value (lists and mappings copied). */
export function deepSubstitute(v: unknown, ctx: BuildContext, holder?: object, key?: string | number): unknown {
  if (typeof v === 'string') return holder ? substituteAt(v, holder, key!, ctx) : v;
  if (Array.isArray(v)) return v.map((x, i) => deepSubstitute(x, ctx, v, i));
  if (v && typeof v === 'object') {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, deepSubstitute(x, ctx, v, k));
    return o;
  }
  return v;
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return textOf(v);
}

function env(v: unknown, spec: Obj, ctx: BuildContext): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) {
    if (typeof v === 'string' && v.startsWith('<+')) return out;
    throw new LocatedError(
      Codes.SCHEMA,
      'envVariables must be a mapping of names to values',
      ctx.positions.at(spec, 'envVariables', ctx.at),
    );
  }
  for (const [k, raw] of Object.entries(v)) setOwn(out, k, scalarText(typeof raw === 'string' ? substituteAt(raw, v, k, ctx) : raw));
  return out;
}

/** Plugin `settings` become `PLUGIN_<NAME>` variables: lists joined with commas, maps as JSON. */
function pluginEnv(v: unknown, spec: Obj, ctx: BuildContext): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    const name = 'PLUGIN_' + k.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    const val = deepSubstitute(raw, ctx, v, k);
    out[name] = Array.isArray(val) ? val.map(scalarText).join(',') : scalarText(val);
  }
  return out;
}

function list(v: unknown, field: string, spec: Obj, ctx: BuildContext): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const r = substituteAt(v, spec, field, ctx);
    return Array.isArray(r) ? r.map(scalarText) : [scalarText(r)];
  }
  if (!Array.isArray(v)) throw new LocatedError(Codes.SCHEMA, `${field} must be a list of strings`, ctx.positions.at(spec, field, ctx.at));
  return v.map((x, i) => scalarText(typeof x === 'string' ? substituteAt(x, v, i, ctx) : x));
}

/** A value that is still an expression (`<+input>` placeholder, runtime reference). */
function isOpen(v: unknown): boolean {
  return typeof v === 'string' && v.includes('<+');
}

function port(v: unknown, at: Location, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new LocatedError(Codes.SCHEMA, `${what} '${String(v)}' is not a port number (1-65535)`, at);
  return n;
}

function portBindings(v: unknown, spec: Obj, ctx: BuildContext): PlanPort[] {
  if (v === undefined || v === null) return [];
  const at = ctx.positions.at(spec, 'portBindings', ctx.at);
  if (typeof v !== 'object' || Array.isArray(v)) {
    if (typeof v === 'string' && v.startsWith('<+')) return [];
    throw new LocatedError(Codes.SCHEMA, 'portBindings must map host ports to container ports', at);
  }
  const out: PlanPort[] = [];
  for (const [h, c] of Object.entries(v as Record<string, unknown>)) {
    const cAt = ctx.positions.at(v, h, at);
    const hv = typeof h === 'string' ? substituteAt(h, v, h, ctx) : h;
    const cv = typeof c === 'string' ? substituteAt(c, v, h, ctx) : c;
    if (isOpen(hv) || isOpen(cv)) {
      // A port only the run knows (a placeholder of a partial compile): not in the plan.
      ctx.bag.warn(
        Codes.RUNTIME_INPUT_MISSING,
        `port binding ${String(h)}: ${String(c)} is decided at run time; it is left out of the plan`,
        cAt,
      );
      continue;
    }
    out.push({ host: port(hv, cAt, 'host port'), container: port(cv, cAt, 'container port') });
  }
  return out.sort((a, b) => a.host - b.host);
}

function readinessOf(v: unknown, ports: PlanPort[], spec: Obj, ctx: BuildContext): PlanReadiness | undefined {
  if (v === undefined || v === null) {
    if (ports.length === 0) return undefined;
    return { tcp: { ports: ports.map((p) => p.host) }, timeoutMs: DEFAULT_READINESS_TIMEOUT_MS, intervalMs: DEFAULT_READINESS_INTERVAL_MS };
  }
  const r = obj(v);
  const at = ctx.positions.at(spec, 'readiness', ctx.at);
  const dur = (field: 'timeout' | 'interval', dflt: number) => {
    const raw = r[field];
    const ms = parseDuration(raw);
    if (ms === null)
      throw new LocatedError(
        Codes.INVALID_DURATION,
        `'${String(raw)}' is not a duration (like 30s, 200ms)`,
        ctx.positions.at(r, field, at),
      );
    return ms ?? dflt;
  };
  const out: PlanReadiness = {
    timeoutMs: dur('timeout', DEFAULT_READINESS_TIMEOUT_MS),
    intervalMs: Math.max(1, dur('interval', DEFAULT_READINESS_INTERVAL_MS)),
  };
  const probes = ['tcp', 'http', 'exec', 'log'].filter((k) => r[k] !== undefined);
  if (probes.length !== 1)
    throw new LocatedError(
      Codes.SCHEMA,
      `readiness needs exactly one probe of tcp, http, exec, log (found ${probes.length ? probes.join(', ') : 'none'})`,
      at,
    );
  const probe = obj(r[probes[0]!]);
  const sub = (field: string) => {
    const raw = probe[field];
    return typeof raw === 'string' ? substituteAt(raw, probe, field, ctx) : raw;
  };
  switch (probes[0]) {
    case 'tcp': {
      const raw = sub('port');
      if (isOpen(raw) && !isRuntimeInput(raw)) {
        // `<+matrix.port>` of a copy the run makes, an output: the run fills it in.
        out.tcp = probe['host'] !== undefined ? { host: String(sub('host')), ports: [raw as string] } : { ports: [raw as string] };
        break;
      }
      if (isOpen(raw)) {
        ctx.bag.warn(
          Codes.RUNTIME_INPUT_MISSING,
          `readiness port is decided at run time; the plan has no readiness probe for it`,
          ctx.positions.at(probe, 'port', at),
        );
        return ports.length
          ? { tcp: { ports: ports.map((p) => p.host) }, timeoutMs: out.timeoutMs, intervalMs: out.intervalMs }
          : undefined;
      }
      const p = port(raw, ctx.positions.at(probe, 'port', at), 'readiness port');
      out.tcp = probe['host'] !== undefined ? { host: String(sub('host')), ports: [p] } : { ports: [p] };
      break;
    }
    case 'http': {
      const status = probe['status'] === undefined ? 200 : Number(sub('status'));
      if (!Number.isInteger(status) || status < 100 || status > 599)
        throw new LocatedError(
          Codes.SCHEMA,
          `readiness http status '${String(probe['status'])}' is not an HTTP status`,
          ctx.positions.at(probe, 'status', at),
        );
      out.http = { url: String(sub('url')), status };
      break;
    }
    case 'exec':
      out.exec = { command: String(sub('command')) };
      break;
    case 'log': {
      const pattern = String(sub('pattern'));
      // Matched by RE2 on the runner, line by line, in linear time (a pattern from a template
      // must not be able to stall a run). Patterns with runtime references are checked then.
      const problem = pattern.includes('<+') ? undefined : regexProblem(pattern);
      if (problem)
        throw new LocatedError(
          Codes.REGEX_UNSUPPORTED,
          `readiness log pattern '${pattern}' ${problem}`,
          ctx.positions.at(probe, 'pattern', at),
        );
      out.log = { pattern };
      break;
    }
  }
  return out;
}

/** Normalizes `when` of a step (stageStatus) or stage (pipelineStatus). */
export function whenOf(v: unknown, statusKey: 'stageStatus' | 'pipelineStatus', holder: object, ctx: BuildContext): PlanWhen | undefined {
  if (v === undefined || v === null) return undefined;
  const w = obj(v);
  const out: PlanWhen = {};
  const status = w[statusKey];
  if (status === 'Success' || status === 'Failure' || status === 'All') out.status = status;
  const cond = w['condition'];
  if (cond !== undefined && cond !== null && cond !== '') {
    // `<+<+a>.split(",").size() > 1>` is the expression inside: unwrapped before its references are.
    const c = String(typeof cond === 'string' ? substituteAt(unwrapped(cond), w, 'condition', ctx, true) : cond);
    try {
      checkCondition(c);
      // A condition without runtime references is evaluated now, so its errors surface here.
      staticCondition(c);
    } catch (e) {
      const shown = textOf(cond).length > 200 ? `${textOf(cond).slice(0, 200)}…` : textOf(cond);
      throw new LocatedError(
        Codes.EXPRESSION_SYNTAX,
        `condition '${shown}': ${(e as Error).message}`,
        ctx.positions.at(w, 'condition', ctx.at),
      );
    }
    out.condition = c;
  }
  return out.status || out.condition !== undefined ? out : undefined;
}

/** Combines an enclosing group's `when` with a step's own. */
export function combineWhen(outer: PlanWhen | undefined, inner: PlanWhen | undefined): PlanWhen | undefined {
  if (!outer) return inner;
  if (!inner) return outer;
  const out: PlanWhen = {};
  const status = inner.status ?? outer.status;
  if (status) out.status = status;
  if (outer.condition !== undefined && inner.condition !== undefined) out.condition = `(${outer.condition}) && (${inner.condition})`;
  else if (outer.condition !== undefined || inner.condition !== undefined) out.condition = (inner.condition ?? outer.condition)!;
  return out;
}

/** Normalizes Harness failure strategies; undefined when none are written. */
export function failureOf(v: unknown, holder: Obj, ctx: Located): FailureRule[] | undefined {
  if (v === undefined || v === null || !Array.isArray(v) || v.length === 0) return undefined;
  return v.map((item, i) => {
    const at = ctx.positions.at(v, i, ctx.at);
    const on = obj(obj(item)['onFailure']);
    const errorsRaw = on['errors'];
    const errors = Array.isArray(errorsRaw) ? errorsRaw.map(String) : ['AllErrors'];
    const action = obj(on['action']);
    const spec = obj(action['spec']);
    const out: FailureRule = { errors, action: { type: textOf(action['type'] ?? 'Abort') } };
    if (spec['retryCount'] !== undefined) out.action.retryCount = Number(spec['retryCount']);
    if (Array.isArray(spec['retryIntervals'])) {
      out.action.retryIntervalsMs = (spec['retryIntervals'] as unknown[]).map((d) => {
        const ms = parseDuration(d);
        if (ms === null || ms === undefined)
          throw new LocatedError(Codes.INVALID_DURATION, `retry interval '${String(d)}' is not a duration`, at);
        return ms;
      });
    }
    const onRetry = obj(obj(spec['onRetryFailure'])['action'])['type'];
    if (onRetry !== undefined) out.action.onRetryFailure = textOf(onRetry);
    if (spec['timeout'] !== undefined) {
      const ms = parseDuration(spec['timeout']);
      if (ms === null) throw new LocatedError(Codes.INVALID_DURATION, `timeout '${textOf(spec['timeout'])}' is not a duration`, at);
      if (ms !== undefined) out.action.timeoutMs = ms;
    }
    const onTimeout = obj(obj(spec['onTimeout'])['action'])['type'];
    if (onTimeout !== undefined) out.action.onTimeout = textOf(onTimeout);
    return out;
  });
}
