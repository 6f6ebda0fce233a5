/**
 * Policies: read, checked against `schemas/policy.schema.json`, then compiled — regular
 * expressions, semver ranges and custom `assert` schemas — so a bad policy is a located
 * error before any pipeline is looked at.
 */
import type { ValidateFunction } from 'ajv';
import semver from 'semver';
import { checkSchema, Codes, readYaml, sourcePositions, type Diagnostic } from '../compiler/index.js';
import { DiagnosticBag } from '../compiler/index.js';
import { createAjv } from '../schemas/index.js';

export type Severity = 'error' | 'warning';
export type Scope = 'step' | 'stage' | 'pipeline';

export interface Rule {
  id: string;
  description: string;
  severity: Severity;
  scope: Scope;
  match: { kind?: string[]; type?: string[]; stageType?: string[]; stage?: string[]; template?: string[]; image?: RegExp };
  require: {
    fromTemplate?: string[];
    templateVersion?: { ref: string; range: string };
    readiness?: boolean;
    notDeprecated?: boolean;
    locked?: boolean;
    contains?: { template: string };
    stageOrder?: string[];
    images?: RegExp[];
  };
  assert?: ValidateFunction;
}

export interface Policy {
  name: string;
  file: string;
  rules: Rule[];
}

/** A policy file as `schemas/policy.schema.json` admits it (what loadPolicy reads once the schema check passed). */
type StringOrList = string | string[];
interface RuleDoc {
  id: string;
  description?: string;
  severity?: Severity;
  scope?: Scope;
  match?: {
    kind?: StringOrList;
    type?: StringOrList;
    stageType?: StringOrList;
    stage?: StringOrList;
    template?: StringOrList;
    image?: string;
  };
  require?: {
    fromTemplate?: StringOrList;
    templateVersion?: { ref: string; range: string };
    readiness?: boolean;
    notDeprecated?: boolean;
    locked?: boolean;
    contains?: { template: string };
    stageOrder?: string[];
    images?: string[];
  };
  assert?: object | boolean;
}
interface PolicyDoc {
  policy: { name: string; description?: string; rules: RuleDoc[] };
}

const list = (v: StringOrList | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

export class PolicyError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n'));
  }
}

let ajvInstance: ReturnType<typeof createAjv> | undefined;
/** Made on first use: ajv loads only for commands that compile schemas at run time. */
const ajv = () => (ajvInstance ??= createAjv({ allErrors: true }));

/** Parses and compiles a policy file's text; throws PolicyError with located diagnostics. */
export function loadPolicy(file: string, text: string): Policy {
  const bag = new DiagnosticBag();
  const docs = readYaml(file, text, sourcePositions, bag);
  if (bag.hasErrors) throw new PolicyError(bag.items);
  const root: unknown = docs[0]?.value;
  if (!root || !checkSchema('policy', root, file, bag)) {
    if (!bag.items.length)
      bag.error(Codes.POLICY_INVALID, "a policy file has a 'policy:' root with name and rules", { file, line: 1, column: 1 });
    throw new PolicyError(bag.items.map((d) => ({ ...d, code: Codes.POLICY_INVALID })));
  }
  const doc = root as PolicyDoc;
  const fail = (r: object, key: string | number, message: string) =>
    bag.error(Codes.POLICY_INVALID, message, sourcePositions.at(r, key, { file, line: 1, column: 1 }));
  const rules: Rule[] = [];
  const seen = new Set<string>();
  for (const r of doc.policy.rules) {
    const id = r.id;
    if (seen.has(id)) fail(r, 'id', `rule id '${id}' is used twice`);
    seen.add(id);
    const m = r.match ?? {};
    const q = r.require ?? {};
    const regex = (holder: object, key: string | number, v: string): RegExp | undefined => {
      try {
        return new RegExp(v);
      } catch (e) {
        fail(holder, key, `rule ${id}: ${v} is not a valid regular expression (${(e as Error).message})`);
        return undefined;
      }
    };
    const rule: Rule = {
      id,
      description: r.description ?? id,
      severity: r.severity ?? 'error',
      scope: r.scope ?? 'step',
      match: {},
      require: {},
    };
    for (const k of ['kind', 'type', 'stageType', 'stage', 'template'] as const) {
      const v = list(m[k]);
      if (v) rule.match[k] = v;
    }
    if (m.image !== undefined) {
      const re = regex(m, 'image', m.image);
      if (re) rule.match.image = re;
    }
    const fromTemplate = list(q.fromTemplate);
    if (fromTemplate) rule.require.fromTemplate = fromTemplate;
    if (q.templateVersion) {
      const tv = q.templateVersion;
      if (!semver.validRange(tv.range)) fail(tv, 'range', `rule ${id}: '${tv.range}' is not a semver range`);
      rule.require.templateVersion = tv;
    }
    for (const k of ['readiness', 'notDeprecated', 'locked'] as const) {
      const flag = q[k];
      if (typeof flag === 'boolean') rule.require[k] = flag;
    }
    if (q.contains) rule.require.contains = q.contains;
    if (q.stageOrder) rule.require.stageOrder = q.stageOrder;
    const images = q.images;
    if (images) rule.require.images = images.map((v, i) => regex(images, i, v)).filter((x): x is RegExp => !!x);
    if (r.assert !== undefined) {
      try {
        rule.assert = ajv().compile(r.assert);
      } catch (e) {
        fail(r, 'assert', `rule ${id}: assert is not a valid JSON Schema: ${(e as Error).message}`);
      }
    }
    rules.push(rule);
  }
  if (bag.hasErrors) throw new PolicyError(bag.items);
  return { name: doc.policy.name, file, rules };
}
