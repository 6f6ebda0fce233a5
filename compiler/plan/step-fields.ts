/**
 * Fields of the steps pipewright executes, read from a step's spec: environment (and a Plugin
 * step's `PLUGIN_*` settings), lists, port bindings and readiness probes.
 */
import type { PlanPort, PlanReadiness, PlanShell } from '../../schemas/index.js';
import { regexProblem } from '../../schemas/index.js';
import { Codes, LocatedError, type Location } from '../diagnostics.js';
import { parseDuration } from '../expressions/duration.js';
import { isRuntimeInput } from '../inputs/runtime-inputs.js';
import { textOf } from '../text.js';
import { setOwn } from '../own.js';
import { deepSubstitute, obj, substituteAt, type BuildContext, type Obj } from './steps.js';

/** Readiness defaults when a probe gives none. */
export const DEFAULT_READINESS_TIMEOUT_MS = 60_000;
export const DEFAULT_READINESS_INTERVAL_MS = 200;

/** Harness shell names (lower-cased) and the plan's. */
export const SHELLS: Record<string, PlanShell> = {
  sh: 'sh',
  bash: 'bash',
  python: 'python',
  pwsh: 'pwsh',
  powershell: 'powershell',
};

function scalarText(v: unknown): string {
  return v === null || v === undefined ? '' : textOf(v);
}

export function env(v: unknown, spec: Obj, ctx: BuildContext): Record<string, string> {
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
export function pluginEnv(v: unknown, spec: Obj, ctx: BuildContext): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    const name = 'PLUGIN_' + k.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    const val = deepSubstitute(raw, ctx, v, k);
    out[name] = Array.isArray(val) ? val.map(scalarText).join(',') : scalarText(val);
  }
  return out;
}

export function list(v: unknown, field: string, spec: Obj, ctx: BuildContext): string[] | undefined {
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

export function portBindings(v: unknown, spec: Obj, ctx: BuildContext): PlanPort[] {
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

export function readinessOf(v: unknown, ports: PlanPort[], spec: Obj, ctx: BuildContext): PlanReadiness | undefined {
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
