/**
 * One policy for fields (and step types) pipewright does not know, at every level of a
 * pipeline, template or input set: a **warning** `PW2007` with a "did you mean" suggestion (the closest field legal
 * at that place), never an error — real files carry fields Harness's own editor writes — and
 * an error with `strict` (`--strict`). Known fields keep their type checks in the schemas.
 *
 * The fields legal at each place are read from the schemas' `properties` (one source of
 * truth); the walk knows which definition applies where (the step `spec` by step type, the
 * template body by template type). Values written as strings (`<+input>`, `{{ expr }}`) and
 * free-form maps (matrix axes, env variables, template inputs, `spec` of steps pipewright
 * does not execute) are not looked into.
 */
import { loadSchema } from '../../schemas/index.js';
import { Codes, type Code, type DiagnosticBag, type Location } from '../diagnostics.js';
import type { Positions } from '../yaml/index.js';

type Obj = Record<string, unknown>;
type Defs = Record<string, { properties?: Record<string, { properties?: Obj; items?: { properties?: Obj } }> }>;

/** The fields legal at each place, built once on first use. */
interface Places {
  pipeline: Set<string>;
  stage: Set<string>;
  ciSpec: Set<string>;
  execution: Set<string>;
  step: Set<string>;
  stepGroup: Set<string>;
  specs: Record<string, Set<string>>;
  stepTypes: Set<string>;
  stageTypes: Set<string>;
  strategy: Set<string>;
  stepWhen: Set<string>;
  stageWhen: Set<string>;
  variable: Set<string>;
  templateRef: Set<string>;
  readiness: Set<string>;
  probes: Record<string, Set<string>>;
  service: Set<string>;
  serviceSpec: Set<string>;
  template: Set<string>;
}

let places: Places | undefined;

function load(): Places {
  const d = (loadSchema('pipeline') as { definitions: Defs }).definitions;
  const t = (loadSchema('template') as { definitions: Defs }).definitions;
  const keys = (...objs: (Obj | undefined)[]) => new Set(objs.flatMap((o) => Object.keys(o ?? {})));
  const props = (name: string, defs: Defs = d) => defs[name]?.properties as Obj | undefined;
  const readiness = props('Readiness')!;
  const service = props('ServiceDependency')!;
  return {
    pipeline: keys(props('Pipeline')),
    stage: keys(props('Stage'), props('StageBody')),
    ciSpec: keys(props('CIStageSpec')),
    execution: keys((props('CIStageSpec')!['execution'] as { properties?: Obj }).properties),
    step: keys(props('Step'), props('StepBody')),
    stepGroup: keys(props('StepGroup')),
    specs: { Run: keys(props('RunSpec')), Background: keys(props('BackgroundSpec')), Plugin: keys(props('PluginSpec')) },
    stepTypes: new Set((d['StepType'] as { anyOf?: { enum?: string[] }[] }).anyOf?.[0]?.enum ?? []),
    stageTypes: new Set((d['StageType'] as { anyOf?: { enum?: string[] }[] }).anyOf?.[0]?.enum ?? []),
    strategy: keys(props('Strategy')),
    stepWhen: keys(props('StepWhen')),
    stageWhen: keys(props('StageWhen')),
    variable: keys((d['Variables'] as { items?: { properties?: Obj } }).items?.properties),
    templateRef: keys(props('TemplateRef')),
    readiness: keys(readiness),
    probes: Object.fromEntries(['tcp', 'http', 'exec', 'log'].map((p) => [p, keys((readiness[p] as { properties?: Obj }).properties)])),
    service: keys(service),
    serviceSpec: keys((service['spec'] as { properties?: Obj }).properties),
    template: keys(props('Template', t)),
  };
}

/** Checks one document (`{pipeline}`, `{template}` or `{inputSet}`) for fields pipewright does not know. */
export function checkKnownFields(doc: unknown, file: string, bag: DiagnosticBag, positions: Positions, strict = false): void {
  const p = (places ??= load());
  new Walk(p, file, bag, positions, strict).document(doc);
}

class Walk {
  constructor(
    private readonly p: Places,
    private readonly file: string,
    private readonly bag: DiagnosticBag,
    private readonly positions: Positions,
    private readonly strict: boolean,
  ) {}

  document(doc: unknown): void {
    if (!isObj(doc)) return;
    if (isObj(doc['pipeline'])) this.pipeline(doc['pipeline']);
    if (isObj(doc['template'])) this.template(doc['template']);
    const set = doc['inputSet'];
    if (isObj(set) && isObj(set['pipeline'])) this.pipeline(set['pipeline']);
  }

  private pipeline(o: Obj): void {
    this.known(o, this.p.pipeline, 'a pipeline');
    this.variables(o['variables']);
    this.stageList(o['stages']);
    if (isObj(o['template'])) this.known(o['template'], this.p.templateRef, 'a template reference');
  }

  private template(o: Obj): void {
    this.known(o, this.p.template, 'a template');
    const spec = o['spec'];
    if (!isObj(spec)) return;
    if (o['type'] === 'Step') this.step(spec, false);
    else if (o['type'] === 'StepGroup') this.stepGroup(spec, false);
    else if (o['type'] === 'Stage') this.stage(spec, false);
    else if (o['type'] === 'Pipeline') this.pipeline(spec);
  }

  private stageList(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (!isObj(item)) continue;
      this.element(item, ['stage', 'parallel'], 'a stage list element');
      if (isObj(item['stage'])) this.stage(item['stage'], true);
      this.stageList(item['parallel']);
    }
  }

  private stage(o: Obj, identified: boolean): void {
    this.node(o, this.p.stage, 'a stage', identified, this.p.stageWhen, 'a stage condition');
    this.typeOf(o, this.p.stageTypes, 'stage', 'its spec is not checked');
    const spec = o['spec'];
    if (!isObj(spec)) return;
    if (o['type'] !== 'CI' && o['type'] !== 'Custom') {
      // Other stages' specs are Harness's (deployment, approval, ...); their steps are steps.
      const execution = spec['execution'];
      if (isObj(execution)) {
        for (const list of [execution['steps'], execution['rollbackSteps']]) {
          this.stepList(list);
          this.identified(list);
        }
      }
      return;
    }
    this.known(spec, this.p.ciSpec, `the spec of a ${String(o['type'])} stage`);
    if (isObj(spec['execution'])) {
      this.known(spec['execution'], this.p.execution, 'an execution');
      this.stepList(spec['execution']['steps']);
    }
    if (Array.isArray(spec['serviceDependencies'])) {
      for (const s of spec['serviceDependencies']) {
        if (!isObj(s)) continue;
        this.known(s, this.p.service, 'a service dependency');
        if (isObj(s['spec'])) {
          this.known(s['spec'], this.p.serviceSpec, 'the spec of a service dependency');
          this.readiness(s['spec']['readiness']);
        }
      }
    }
  }

  /**
   * Every step and step group of a list has an identifier (PW2002): the schema says so for CI
   * and Custom stages; in the others, whose spec it leaves to Harness, this does.
   */
  private identified(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (!isObj(item)) continue;
      for (const key of ['step', 'stepGroup'] as const) {
        const node = item[key];
        if (!isObj(node)) continue;
        const id = node['identifier'];
        if (id === undefined || id === null || id === '')
          this.bag.error(
            Codes.REQUIRED_FIELD,
            `this ${key === 'step' ? 'step' : 'step group'} has no identifier`,
            this.positions.of(node, this.at()),
          );
        if (key === 'stepGroup') this.identified(node['steps']);
      }
      this.identified(item['parallel']);
    }
  }

  private stepList(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (!isObj(item)) continue;
      this.element(item, ['step', 'stepGroup', 'parallel'], 'a step list element');
      if (isObj(item['step'])) this.step(item['step'], true);
      if (isObj(item['stepGroup'])) this.stepGroup(item['stepGroup'], true);
      this.stepList(item['parallel']);
    }
  }

  private step(o: Obj, identified: boolean): void {
    this.node(o, this.p.step, 'a step', identified, this.p.stepWhen, 'a step condition');
    this.stepType(o);
    // An own property only: a type named `constructor` is not Object's.
    const fields =
      typeof o['type'] === 'string' && Object.prototype.hasOwnProperty.call(this.p.specs, o['type']) ? this.p.specs[o['type']] : undefined;
    const spec = o['spec'];
    if (!fields || !isObj(spec)) return;
    this.known(spec, fields, `the spec of a ${String(o['type'])} step`);
    this.readiness(spec['readiness']);
  }

  /**
   * Harness has several hundred step types; one pipewright does not know is kept as an
   * external step (never executed by pipewright), with warning PW2003 — an error with strict.
   */
  private stepType(o: Obj): void {
    this.typeOf(o, this.p.stepTypes, 'step', 'kept as an external step, which pipewright does not execute');
  }

  /** A step or stage type pipewright does not know: PW2003, a warning (an error with strict). */
  private typeOf(o: Obj, known: Set<string>, what: 'step' | 'stage', kept: string): void {
    const type = o['type'];
    if (typeof type !== 'string' || type === '' || known.has(type) || type.includes('<+') || type.includes('{{')) return;
    const hint = closest(type, known);
    const message = `${what} type '${type}' is not known to pipewright${hint ? ` (did you mean '${hint}'?)` : ''}${this.strict ? '' : `; ${kept} (--strict makes this an error)`}`;
    this.report(Codes.UNKNOWN_STEP_TYPE, message, this.positions.at(o, 'type', this.at()));
  }

  private stepGroup(o: Obj, identified: boolean): void {
    this.node(o, this.p.stepGroup, 'a step group', identified, this.p.stepWhen, 'a step group condition');
    this.stepList(o['steps']);
  }

  /**
   * A stage, step or step group, and what they hold alike: variables (where legal), strategy,
   * condition, template reference. In a template's spec the identifier is optional.
   */
  private node(o: Obj, fields: Set<string>, what: string, identified: boolean, whenFields: Set<string>, whenWhat: string): void {
    this.known(o, fields, what, identified ? undefined : 'identifier');
    if (fields.has('variables')) this.variables(o['variables']);
    if (isObj(o['strategy'])) this.known(o['strategy'], this.p.strategy, 'a strategy');
    if (isObj(o['when'])) this.known(o['when'], whenFields, whenWhat);
    if (isObj(o['template'])) this.known(o['template'], this.p.templateRef, 'a template reference');
  }

  private variables(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const v of list) if (isObj(v)) this.known(v, this.p.variable, 'a variable');
  }

  private readiness(r: unknown): void {
    if (!isObj(r)) return;
    this.known(r, this.p.readiness, 'a readiness probe');
    const probes = Object.keys(this.p.probes).filter((k) => k in r);
    for (const k of probes) if (isObj(r[k])) this.known(r[k], this.p.probes[k]!, `a ${k} probe`);
    if (probes.length !== 1)
      this.bag.error(
        Codes.SCHEMA,
        `readiness needs exactly one probe: ${Object.keys(this.p.probes).join(', ')}`,
        this.positions.of(r, this.at()),
      );
  }

  /** A list element holds exactly one of `wrappers` (others are unknown fields, reported by `known`). */
  private element(item: Obj, wrappers: string[], what: string): void {
    // Harness's template insertion writes `contextType: Pipeline` beside the wrapper.
    this.known(item, new Set([...wrappers, 'contextType']), what);
    const present = wrappers.filter((w) => w in item);
    if (present.length !== 1)
      this.bag.error(
        Codes.SCHEMA,
        `${what} needs exactly one of ${wrappers.join(', ')}${present.length > 1 ? `, not ${present.join(' and ')}` : ''}`,
        this.positions.of(item, this.at()),
      );
  }

  /** Reports every key of `o` not in `fields` (nor `also`), with the closest legal field. */
  private known(o: Obj, fields: Set<string>, what: string, also?: string): void {
    for (const k of Object.keys(o)) {
      if (fields.has(k) || k === also) continue;
      const hint = closest(k, fields);
      const message = `unknown field '${k}' in ${what}${hint ? ` (did you mean '${hint}'?)` : ''}${this.strict ? '' : '; pipewright ignores it (--strict makes this an error)'}`;
      this.report(Codes.UNKNOWN_FIELD, message, this.positions.keyAt(o, k, this.at()));
    }
  }

  /** A warning, or an error with strict. */
  private report(code: Code, message: string, at: Location): void {
    if (this.strict) this.bag.error(code, message, at);
    else this.bag.warn(code, message, at);
  }

  private at(): Location {
    return { file: this.file, line: 1, column: 1 };
  }
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The legal field nearest to `k` (case-insensitive edit distance), when near enough to be a typo. */
export function closest(k: string, fields: Iterable<string>): string | undefined {
  const lower = k.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(k.length / 3)) + 1;
  for (const f of fields) {
    const d = distance(lower, f.toLowerCase(), bestD);
    if (d < bestD) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions, giving up at `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin >= limit) return limit;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
