/**
 * Looping strategies (`strategy.matrix`, `strategy.parallelism`, `strategy.repeat`) expanded
 * at compile time when their values are static. Copies are named as Harness names them:
 * the identifier plus the index of each matrix axis (`build_0_1`), or of the iteration.
 */
import { Codes, LocatedError, type Location } from '../diagnostics.js';
import type { Positions } from '../yaml/index.js';
import { countCopies, itemCopies, matrixCopies, type StrategyCopy } from '../../schemas/index.js';

/** Most copies one strategy may produce. */
export const MAX_COPIES = 256;

export type { StrategyCopy };

export type StrategyExpansion =
  | { kind: 'none' }
  | { kind: 'static'; copies: StrategyCopy[]; maxConcurrency?: number }
  | { kind: 'dynamic'; reason: string; raw: Record<string, unknown>; byRun?: boolean };

function isDynamic(v: unknown): boolean {
  return typeof v === 'string' && v.includes('<+');
}

/** What a strategy tolerates but says: a scalar where Harness expects a list. */
export type StrategyWarning = (message: string, at: Location) => void;

/** Expands a strategy node; throws LocatedError for malformed static strategies. */
export function expandStrategy(
  strategy: unknown,
  at: Location,
  positions: Positions,
  warn: StrategyWarning = () => undefined,
): StrategyExpansion {
  if (strategy === undefined || strategy === null || strategy === '') return { kind: 'none' };
  if (typeof strategy !== 'object' || Array.isArray(strategy)) {
    if (isDynamic(strategy)) return { kind: 'dynamic', reason: 'the strategy is an expression', raw: { value: strategy } };
    throw new LocatedError(Codes.SCHEMA, 'strategy must be a mapping', at);
  }
  const s = strategy as Record<string, unknown>;
  const maxConc =
    s['maxConcurrency'] ??
    (s['matrix'] as Record<string, unknown> | undefined)?.['maxConcurrency'] ??
    (s['repeat'] as Record<string, unknown> | undefined)?.['maxConcurrency'];
  if (isDynamic(maxConc))
    return {
      kind: 'dynamic',
      reason: 'maxConcurrency is an expression',
      raw: s,
      byRun: s['matrix'] !== undefined || s['parallelism'] !== undefined,
    };
  const maxConcurrency = concurrencyOf(maxConc, at);
  if (s['matrix'] !== undefined) return matrix(s['matrix'], s, at, positions, warn, maxConcurrency);
  if (s['parallelism'] !== undefined) {
    const n = s['parallelism'];
    if (isDynamic(n)) return { kind: 'dynamic', reason: 'parallelism is an expression', raw: s, byRun: true };
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw new LocatedError(Codes.SCHEMA, `parallelism must be a positive whole number, got ${JSON.stringify(n)}`, at);
    return finish(countCopies(n), at, maxConcurrency);
  }
  if (s['repeat'] !== undefined) return repeat(s['repeat'], s, at, maxConcurrency);
  return { kind: 'none' };
}

/** maxConcurrency as written (`2`, `"2"`): a whole number of at least 1, else PW2001. */
function concurrencyOf(v: unknown, at: Location): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new LocatedError(Codes.SCHEMA, `maxConcurrency must be a whole number of at least 1, got ${JSON.stringify(v)}`, at);
  return n;
}

function finish(copies: StrategyCopy[], at: Location, maxConcurrency?: number): StrategyExpansion {
  if (copies.length > MAX_COPIES)
    throw new LocatedError(Codes.EXPANSION_TOO_LARGE, `strategy produces ${copies.length} copies, more than ${MAX_COPIES}`, at);
  return maxConcurrency ? { kind: 'static', copies, maxConcurrency } : { kind: 'static', copies };
}

function matrix(
  m: unknown,
  raw: Record<string, unknown>,
  at: Location,
  positions: Positions,
  warn: StrategyWarning,
  maxConcurrency?: number,
): StrategyExpansion {
  if (isDynamic(m)) return { kind: 'dynamic', reason: 'the matrix is an expression', raw, byRun: true };
  if (!m || typeof m !== 'object' || Array.isArray(m))
    throw new LocatedError(Codes.SCHEMA, 'strategy.matrix must be a mapping of axes', at);
  const axes: [string, unknown[]][] = [];
  let exclude: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (k === 'maxConcurrency' || k === 'nodeName') continue;
    if (k === 'exclude') {
      if (v === null || v === undefined) continue;
      if (isDynamic(v)) return { kind: 'dynamic', reason: 'exclude is an expression', raw, byRun: true };
      if (!Array.isArray(v)) throw new LocatedError(Codes.SCHEMA, 'strategy.matrix.exclude must be a list', at);
      exclude = v as Record<string, unknown>[];
      continue;
    }
    if (isDynamic(v)) return { kind: 'dynamic', reason: `matrix axis '${k}' is an expression`, raw, byRun: true };
    if (v !== null && typeof v !== 'object') {
      // Real files write `os: linux` for a one-value axis: one value, said, not refused.
      warn(`matrix axis '${k}' is one value, not a list: read as [${JSON.stringify(v)}]`, positions.at(m, k, at));
      axes.push([k, [v]]);
      continue;
    }
    if (!Array.isArray(v)) throw new LocatedError(Codes.SCHEMA, `matrix axis '${k}' must be a list`, positions.at(m, k, at));
    if (v.length === 0) throw new LocatedError(Codes.SCHEMA, `matrix axis '${k}' is empty`, at);
    axes.push([k, v]);
  }
  if (axes.length === 0) throw new LocatedError(Codes.SCHEMA, 'strategy.matrix has no axes', at);
  let total = 1;
  for (const [, vals] of axes) total *= vals.length;
  if (total > MAX_COPIES * 4)
    throw new LocatedError(Codes.EXPANSION_TOO_LARGE, `matrix has ${total} combinations, more than ${MAX_COPIES}`, at);
  const copies = matrixCopies(axes, exclude);
  return finish(copies, at, maxConcurrency);
}

function repeat(r: unknown, raw: Record<string, unknown>, at: Location, maxConcurrency?: number): StrategyExpansion {
  if (isDynamic(r)) return { kind: 'dynamic', reason: 'repeat is an expression', raw };
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new LocatedError(Codes.SCHEMA, 'strategy.repeat must be a mapping', at);
  const o = r as Record<string, unknown>;
  if (o['items'] !== undefined) {
    if (isDynamic(o['items'])) return { kind: 'dynamic', reason: 'repeat.items is an expression', raw, byRun: true };
    if (!Array.isArray(o['items'])) throw new LocatedError(Codes.SCHEMA, 'strategy.repeat.items must be a list', at);
    const items = o['items'] as unknown[];
    return finish(itemCopies(items), at, maxConcurrency);
  }
  if (o['times'] !== undefined) {
    if (isDynamic(o['times'])) return { kind: 'dynamic', reason: 'repeat.times is an expression', raw, byRun: true };
    const n = o['times'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw new LocatedError(Codes.SCHEMA, 'strategy.repeat.times must be a positive whole number', at);
    return finish(countCopies(n), at, maxConcurrency);
  }
  return { kind: 'dynamic', reason: 'this repeat form is decided at run time', raw };
}

/**
 * Steps whose id is one the run may give a copy of a run-time strategy (`deploy_1` beside a
 * `deploy` whose matrix only the run knows): each pair is (the step, the strategy's step).
 */
export function copyCollisions<T extends { id: string; strategy?: unknown; strategyOf?: string }>(steps: readonly T[]): [T, T][] {
  const units = new Map<string, T>();
  for (const s of steps) if (s.strategy !== undefined) units.set(s.strategyOf ?? s.id, s);
  if (units.size === 0) return [];
  const out: [T, T][] = [];
  for (const [unit, e] of units) {
    const prefix = `${unit}_`;
    for (const s of steps) if (s.id.startsWith(prefix) && /^\d+(?:_\d+)*(?:\.|$)/.test(s.id.slice(prefix.length))) out.push([s, e]);
  }
  return out;
}
