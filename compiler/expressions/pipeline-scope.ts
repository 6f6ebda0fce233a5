/**
 * What a pipeline knows before its steps are flattened: variables (and which are secrets),
 * the stages by identifier for `<+pipeline.stages.S...>` expressions, and the infrastructure
 * fields a stage records in the plan.
 */
import { textOf } from '../text.js';
import type { PlanStage } from '../../schemas/index.js';
import { unwrap } from '../templates/elements.js';
import type { ExprScope } from './expressions.js';
import { setOwn } from '../own.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Variables of a pipeline or stage by name; Secret-typed ones are noted in `secretVars` as `where:name`. */
export function variablesOf(v: unknown, where: string, secretVars: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(v)) return out;
  for (const item of v) {
    const o = obj(item);
    if (typeof o['name'] !== 'string') continue;
    setOwn(out, o['name'], o['value'] ?? o['default'] ?? '');
    if (textOf(o['type'] ?? '').toLowerCase() === 'secret') secretVars.add(`${where}:${o['name']}`);
  }
  return out;
}

/** Every stage (also inside parallel blocks) with its name and variables. */
export function collectStages(v: unknown, into: ExprScope['pipeline']['stages'], secretVars: Set<string>): void {
  if (!Array.isArray(v)) return;
  for (const el of v) {
    const w = unwrap(el);
    if (!w) continue;
    if (w.kind === 'parallel') collectStages(w.node, into, secretVars);
    else if (w.kind === 'stage' && w.node && typeof w.node['identifier'] === 'string') {
      const id = w.node['identifier'];
      into[id] = {
        identifier: id,
        name: textOf(w.node['name'] ?? id),
        variables: variablesOf(w.node['variables'], `stage ${id}`, secretVars),
      };
    }
  }
}

/** Runtime/infrastructure type, OS and architecture of a CI stage, when written. */
export function infrastructureOf(spec: Obj): PlanStage['infrastructure'] | undefined {
  const out: NonNullable<PlanStage['infrastructure']> = {};
  const runtime = obj(spec['runtime']);
  const infra = obj(spec['infrastructure']);
  const platform = obj(spec['platform']);
  const type = runtime['type'] ?? infra['type'];
  if (typeof type === 'string') out.type = type;
  const os = platform['os'] ?? obj(infra['spec'])['os'];
  if (typeof os === 'string') out.os = os;
  const arch = platform['arch'];
  if (typeof arch === 'string') out.arch = arch;
  return Object.keys(out).length ? out : undefined;
}
