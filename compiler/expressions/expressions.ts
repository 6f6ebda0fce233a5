/**
 * Harness expressions `<+ ... >` inside strings: scanning (nested, quote-aware) and static
 * resolution. What can be known at compile time (pipeline and stage variables, names,
 * identifiers, matrix values) is substituted; what only a run knows (step outputs, secrets,
 * sequence id, codebase, ...) stays in the text and is listed as a `PlanRef`.
 */
import { hasOwn } from '../own.js';
import { evaluateValue } from '../../schemas/index.js';

/** One expression occurrence in a string: `text` includes `<+` and the closing `>`. */
export interface ExprMatch {
  start: number;
  end: number;
  text: string;
  body: string;
}

/** Finds the top-level expressions in `s`, in order. Unclosed ones are reported as `open`. */
export function scanExpressions(s: string): { matches: ExprMatch[]; open?: number } {
  const matches: ExprMatch[] = [];
  let i = s.indexOf('<+');
  while (i >= 0) {
    const end = closingOf(s, i);
    if (end < 0) return { matches, open: i };
    matches.push({ start: i, end: end + 1, text: s.slice(i, end + 1), body: s.slice(i + 2, end) });
    i = s.indexOf('<+', end + 1);
  }
  return { matches };
}

/** Index of the `>` closing the expression opened at `start` (which points at `<+`). */
function closingOf(s: string, start: number): number {
  let depth = 0;
  let quote = '';
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      else if (c === '<' && s[i + 1] === '+') {
        // an expression inside a quoted argument: <+secrets.getValue("x<+a.b>")>
        const inner = closingOf(s, i);
        if (inner < 0) return -1;
        i = inner;
      }
      continue;
    }
    if (c === '<' && s[i + 1] === '+') {
      depth++;
      i++;
    } else if (c === '"' || c === "'") {
      if (depth > 0) quote = c;
    } else if (c === '>') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** What a static lookup knows. Values may themselves hold expressions (resolved recursively). */
export interface ExprScope {
  pipeline: {
    identifier: string;
    name: string;
    variables: Record<string, unknown>;
    stages: Record<string, { identifier: string; name: string; variables: Record<string, unknown> }>;
    /**
     * Scopes whose undeclared variables are unknown runtime values instead of errors: a
     * template checked on its own, whose consumers declare those variables.
     */
    openVariables?: readonly ('pipeline' | 'stage')[];
  };
  stage?: { identifier: string; name: string; type: string; variables: Record<string, unknown> };
  step?: { identifier: string; name: string };
  /** Matrix / repeat / parallelism values of the current copy. */
  strategy?: {
    matrix?: Record<string, unknown>;
    iteration?: number;
    iterations?: number;
    item?: unknown;
    postfix?: string;
    byRun?: boolean;
  };
  /** Secret-typed variables map to the secret identifier they name. */
  secretVars?: Set<string>;
}

/** The classification of one expression body. */
export type ExprKind =
  | { kind: 'static'; value: unknown }
  | { kind: 'output'; path: string[]; name: string; crossStage?: string }
  | { kind: 'secret'; name: string }
  | { kind: 'input' }
  | { kind: 'unknown-variable'; message: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'runtime' };

const RUNTIME_ROOTS = new Set([
  'pipeline',
  'codebase',
  'trigger',
  'eventPayload',
  'ci',
  'secrets',
  'env',
  'infra',
  'artifact',
  'artifacts',
  'service',
  'serviceVariables',
  'stage',
  'step',
  'stepGroup',
  'steps',
  'execution',
  'strategy',
  'matrix',
  'repeat',
  'approval',
  'org',
  'project',
  'account',
  'variable',
  'exportedVariables',
  'gitConfig',
  'manifest',
  'manifests',
  'configFile',
  'instance',
  'rollbackArtifact',
  'spec',
  'status',
  'input',
  'parent',
  'module',
  'node',
  'inputSet',
  'workspace',
  'policy',
]);

/** Classifies (and, when static, evaluates) one expression body without its `<+` `>`. */
export function classify(body: string, scope: ExprScope): ExprKind {
  const b = body.trim();
  if (b === 'input' || b.startsWith('input>') || b.startsWith('input.')) return { kind: 'input' };
  const literal = literalMethod(b);
  if (literal) return literal;
  const secret = /^secrets\.getValue\(\s*(["'])((?:(?!\1).)*)\1\s*\)$/.exec(b);
  if (secret) return { kind: 'secret', name: secret[2]! };
  // `.length()` on a secret would put the secret itself into the text the run sees.
  if (/^secrets\.getValue\(/.test(b) && afterCall(b, 'secrets.getValue('.length - 1) !== '')
    return { kind: 'invalid', message: `<+${b}>: a secret is used only as a whole value (no methods on it)` };
  const seg = b.split('.');
  const root = seg[0]!;
  // `<+stepGroup.identifierPostFix>` and friends: the suffix of the current strategy copy.
  if (seg.length === 2 && seg[1] === 'identifierPostFix' && ['step', 'stepGroup', 'stage', 'strategy'].includes(root)) {
    // A copy the run makes gets its suffix then.
    if (scope.strategy?.byRun && scope.strategy.postfix === undefined) return { kind: 'runtime' };
    return { kind: 'static', value: scope.strategy?.postfix ?? '' };
  }
  // Step outputs, in the forms Harness accepts.
  const out = outputPath(seg);
  if (out) return out;
  switch (root) {
    case 'pipeline':
      if (seg.length === 2 && (seg[1] === 'identifier' || seg[1] === 'name')) return { kind: 'static', value: scope.pipeline[seg[1]] };
      if (seg[1] === 'variables' && seg.length === 3) return variable(scope.pipeline.variables, seg[2]!, 'pipeline', scope);
      if (seg[1] === 'stages' && seg.length >= 4) {
        const st = scope.pipeline.stages[seg[2]!];
        if (!st) return { kind: 'runtime' };
        if (seg.length === 4 && (seg[3] === 'identifier' || seg[3] === 'name')) return { kind: 'static', value: st[seg[3]] };
        if (seg[3] === 'variables' && seg.length === 5) return variable(st.variables, seg[4]!, `stage ${seg[2]}`, scope);
      }
      return { kind: 'runtime' };
    case 'stage':
      if (!scope.stage) return { kind: 'runtime' };
      if (seg.length === 2 && (seg[1] === 'identifier' || seg[1] === 'name' || seg[1] === 'type'))
        return { kind: 'static', value: scope.stage[seg[1]] };
      if (seg[1] === 'variables' && seg.length === 3) return variable(scope.stage.variables, seg[2]!, 'stage', scope);
      return { kind: 'runtime' };
    case 'step':
      if (scope.step && seg.length === 2 && (seg[1] === 'identifier' || seg[1] === 'name'))
        return { kind: 'static', value: scope.step[seg[1]] };
      return { kind: 'runtime' };
    case 'matrix':
      return matrixValue(scope, seg.slice(1));
    case 'repeat':
      if (seg.length === 2 && seg[1] === 'item' && scope.strategy && 'item' in scope.strategy)
        return { kind: 'static', value: scope.strategy.item };
      return { kind: 'runtime' };
    case 'strategy':
      if (seg[1] === 'matrix') return matrixValue(scope, seg.slice(2));
      if (seg.length === 2 && (seg[1] === 'iteration' || seg[1] === 'iterations') && scope.strategy?.[seg[1]] !== undefined) {
        return { kind: 'static', value: scope.strategy[seg[1]] };
      }
      if (seg.length === 3 && seg[1] === 'repeat' && seg[2] === 'item' && scope.strategy && 'item' in scope.strategy)
        return { kind: 'static', value: scope.strategy.item };
      return { kind: 'runtime' };
    default:
      return { kind: 'runtime' };
  }
}

/** What follows the call whose `(` is at `open` (quotes and nesting respected), trimmed. */
function afterCall(b: string, open: number): string {
  let depth = 0;
  let quote = '';
  for (let i = open; i < b.length; i++) {
    const c = b[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return b.slice(i + 1).trim();
  }
  return '';
}

/**
 * A method called on a string literal — what a nested expression becomes once its inside is
 * known: `<+"a,b".split(',')>`. The common Java string methods Harness pipelines use are
 * evaluated at compile time.
 */
function literalMethod(b: string): ExprKind | undefined {
  // A literal still holding a reference (`"<+steps.a.output.outputVariables.T>:z"`) is known only to the run.
  if (b.includes('<+')) return undefined;
  if (b.startsWith('"') || b.startsWith("'")) {
    // Chains and operators on literals (`"a,b".split(",").size() > 1`), as conditions evaluate them.
    try {
      return { kind: 'static', value: evaluateValue(b) };
    } catch {
      // not an expression conditions know (`.replace(...)`): the single methods below
    }
  }
  const m = /^"((?:[^"\\]|\\.)*)"\.(split|contains|startsWith|endsWith|equals|toLowerCase|toUpperCase|trim|replace|length)\((.*)\)$/s.exec(
    b,
  );
  if (!m) return undefined;
  let recv: string;
  try {
    recv = JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return undefined;
  }
  const args = [...m[3]!.matchAll(/(["'])((?:(?!\1).)*)\1/g)].map((a) => a[2]!);
  switch (m[2]) {
    case 'split':
      return { kind: 'static', value: args[0] === undefined ? [recv] : recv.split(args[0]) };
    case 'contains':
      return { kind: 'static', value: recv.includes(args[0] ?? '') };
    case 'startsWith':
      return { kind: 'static', value: recv.startsWith(args[0] ?? '') };
    case 'endsWith':
      return { kind: 'static', value: recv.endsWith(args[0] ?? '') };
    case 'equals':
      return { kind: 'static', value: recv === (args[0] ?? '') };
    case 'toLowerCase':
      return { kind: 'static', value: recv.toLowerCase() };
    case 'toUpperCase':
      return { kind: 'static', value: recv.toUpperCase() };
    case 'trim':
      return { kind: 'static', value: recv.trim() };
    case 'replace':
      return { kind: 'static', value: recv.split(args[0] ?? '').join(args[1] ?? '') };
    default:
      return { kind: 'static', value: recv.length };
  }
}

function matrixValue(scope: ExprScope, rest: string[]): ExprKind {
  const m = scope.strategy?.matrix;
  if (m && rest.length === 1 && hasOwn(m, rest[0]!)) return { kind: 'static', value: m[rest[0]!] };
  return { kind: 'runtime' };
}

function variable(vars: Record<string, unknown>, name: string, where: string, scope: ExprScope): ExprKind {
  if (!Object.prototype.hasOwnProperty.call(vars, name)) {
    if (scope.pipeline.openVariables?.includes(where === 'pipeline' ? 'pipeline' : 'stage')) return { kind: 'runtime' };
    return {
      kind: 'unknown-variable',
      message: `${where} has no variable '${name}'${Object.keys(vars).length ? ` (it has: ${Object.keys(vars).join(', ')})` : ''}`,
    };
  }
  const v = vars[name];
  if (scope.secretVars?.has(`${where}:${name}`)) return { kind: 'secret', name: String(v) };
  return { kind: 'static', value: v };
}

/**
 * Output references:
 *  steps.ID.output.outputVariables.X, steps.G.steps.ID.output.outputVariables.X,
 *  execution.steps.ID..., stepGroup.steps.ID...,
 *  pipeline.stages.S.spec.execution.steps.ID.output.outputVariables.X
 * `path` is the chain of identifiers (groups then step).
 */
function outputPath(seg: string[]): ExprKind | undefined {
  const n = seg.length;
  if (n < 5 || seg[n - 3] !== 'output' || seg[n - 2] !== 'outputVariables') return undefined;
  let rest = seg.slice(0, n - 3);
  let crossStage: string | undefined;
  if (rest[0] === 'pipeline' && rest[1] === 'stages' && rest[3] === 'spec' && rest[4] === 'execution') {
    crossStage = rest[2];
    rest = rest.slice(5);
  } else if (rest[0] === 'execution' || rest[0] === 'stepGroup') rest = rest.slice(1);
  if (rest[0] !== 'steps') return undefined;
  const path: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] !== 'steps' || rest[i + 1] === undefined) return undefined;
    path.push(rest[i + 1]!);
  }
  return { kind: 'output', path, name: seg[n - 1]!, ...(crossStage ? { crossStage } : {}) };
}

const PATH_CALL =
  /^\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)(\.(?:contains|equals|equalsIgnoreCase|startsWith|endsWith|toLowerCase|toUpperCase|trim|split|length|size|isEmpty|replace)\s*\([\s\S]*)$/;

/**
 * A method called on a path, `pipeline.variables.envs.split(",")`, written as the nested form
 * Harness also accepts: `<+pipeline.variables.envs>.split(",")`. Undefined for other bodies.
 */
export function pathCall(body: string): { path: string; nested: string } | undefined {
  const m = PATH_CALL.exec(body);
  if (!m || !isKnownRoot(m[1]!)) return undefined;
  return { path: m[1]!, nested: `<+${m[1]}>${m[2]}` };
}

/** True for a body whose first segment names something Harness knows. */
export function isKnownRoot(body: string): boolean {
  const root = /^[A-Za-z_]+/.exec(body.trim())?.[0] ?? '';
  return RUNTIME_ROOTS.has(root);
}
