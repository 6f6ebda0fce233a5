/**
 * References to templates pipewright does not expand: a deployment stage's
 * `customDeploymentRef`, an artifact source's `template`, a Verify step's monitored-service
 * template. Their content is Harness's business (opaque to pipewright), but which version a
 * pipeline uses is provenance: each reference is resolved through the same template sources
 * (so the lockfile pins it too) and recorded on its stage in the plan, which the audit
 * inventory counts.
 *
 * A reference no source knows is a warning (PW4012), recorded as written without a version:
 * many organisations publish only their CI templates to pipewright, and a deployment template
 * pipewright never runs must not stop their pipelines from compiling.
 */
import type { Origin, PlanTemplateReference } from '../../schemas/index.js';
import { annotations, type Annotation } from './annotations.js';
import { Codes, type Code, type DiagnosticBag, type Location } from '../diagnostics.js';
import { reportVersion } from './expand.js';
import { resolveInOrder, type ResolvedTemplate, type TemplateSource } from '../sources/source.js';
import { selectorText } from '../sources/versions.js';
import type { Positions } from '../yaml/index.js';

type Obj = Record<string, unknown>;

/** One reference as written: the mapping holding the template name and its version label. */
export interface OpaqueReference {
  node: Obj;
  /** Provenance of the body the reference is written in (a template's), if any. */
  ann: Annotation | undefined;
  field: PlanTemplateReference['field'];
  type: PlanTemplateReference['type'];
  /** The key of the template name in `node`. */
  refKey: 'templateRef' | 'monitoredServiceTemplateRef';
}

/** What resolving a reference found, by reference node. */
export type OpaqueResolutions = Map<Obj, { ref: string; selector: string; template?: ResolvedTemplate }>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Finds the opaque template references below `value` (a stage, or a whole pipeline). */
export function findOpaqueReferences(value: unknown, ann?: Annotation, problems?: OpaqueProblem[]): OpaqueReference[] {
  const out: OpaqueReference[] = [];
  /** A reference mapping: taken when well formed, else a problem (never dropped in silence). */
  const take = (
    holder: Obj,
    key: string,
    node: unknown,
    refKey: OpaqueReference['refKey'],
    field: OpaqueReference['field'],
    type: OpaqueReference['type'],
    a: Annotation | undefined,
  ): void => {
    if (typeof node === 'string' && node.includes('<+')) return; // an expression or runtime input for the whole reference
    if (!isObj(node))
      return void problems?.push({
        code: Codes.SCHEMA,
        message: `${key} must be a mapping {${refKey}, versionLabel}, not ${JSON.stringify(node)}`,
        holder,
        key,
      });
    const ref = node[refKey];
    if (ref === undefined || ref === null || ref === '')
      return void problems?.push({ code: Codes.REQUIRED_FIELD, message: `${key} has no ${refKey}`, holder, key });
    if (typeof ref !== 'string')
      return void problems?.push({
        code: Codes.SCHEMA,
        message: `${refKey} must be a template reference, not ${JSON.stringify(ref)}`,
        holder: node,
        key: refKey,
      });
    const label = node['versionLabel'];
    if (label !== undefined && label !== null && typeof label === 'object')
      return void problems?.push({
        code: Codes.SCHEMA,
        message: `versionLabel must be a version or label, not ${JSON.stringify(label)}`,
        holder: node,
        key: 'versionLabel',
      });
    out.push({ node, ann: a, field, type, refKey });
  };
  const walk = (v: unknown, inArtifacts: boolean, a: Annotation | undefined): void => {
    if (v === null || typeof v !== 'object') return;
    a = annotations.get(v) ?? a;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, inArtifacts, a);
      return;
    }
    const o = v as Obj;
    for (const [k, child] of Object.entries(o)) {
      if (k === 'customDeploymentRef') take(o, k, child, 'templateRef', 'customDeploymentRef', 'CustomDeployment', a);
      // An artifact source written as `{identifier, template: {templateRef, versionLabel}}`.
      else if (k === 'template' && inArtifacts) take(o, k, child, 'templateRef', 'artifactSource', 'ArtifactSource', a);
      else if (k === 'monitoredService' && isObj(child) && child['type'] === 'Template')
        take(child, 'spec', child['spec'], 'monitoredServiceTemplateRef', 'monitoredService', 'MonitoredService', a);
      else if (child && typeof child === 'object') walk(child, inArtifacts || k === 'artifacts', a);
    }
  };
  walk(value, false, ann);
  return out;
}

/**
 * Whether a stage may name such templates: CI stages cannot (deployment templates, artifact
 * sources and monitored services belong to deployment-side stages). Walking only the others
 * keeps a CI fleet's compile from walking every node twice.
 */
function mayReference(stage: Obj): boolean {
  return stage['type'] !== 'CI';
}

/** The stage nodes of a pipeline that may name such templates, parallel blocks included. */
function stagesWithReferences(pipeline: unknown): Obj[] {
  const out: Obj[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const el of list) {
      if (!isObj(el)) continue;
      if (isObj(el['stage']) && mayReference(el['stage'])) out.push(el['stage']);
      walk(el['parallel']);
    }
  };
  walk(isObj(pipeline) ? pipeline['stages'] : undefined);
  return out;
}

/** A reference written in a shape no template can be named by: reported where it is. */
export interface OpaqueProblem {
  code: Code;
  message: string;
  holder: object;
  key: string;
}

/**
 * Resolves every opaque reference of `root` in one batch. Wrong template types are errors
 * (PW4005), missing ones warnings (PW4012); deprecation, sunset and yanks are said as for any
 * template. Resolved versions are added to `used` (the plan's template list).
 */
export async function resolveOpaqueReferences(
  root: unknown,
  file: string,
  sources: TemplateSource[],
  bag: DiagnosticBag,
  used: Map<string, ResolvedTemplate>,
  positions: Positions,
  options: { now?: Date; allowSunset?: boolean } = {},
): Promise<OpaqueResolutions> {
  const problems: OpaqueProblem[] = [];
  const found = stagesWithReferences(root).flatMap((stage) => findOpaqueReferences(stage, undefined, problems));
  for (const p of problems)
    bag.error(p.code, p.message, positions.at(p.holder, p.key, positions.of(p.holder, { file, line: 1, column: 1 })));
  const resolutions: OpaqueResolutions = new Map();
  if (found.length === 0) return resolutions;
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  const fallback: Location = { file, line: 1, column: 1 };
  const requests = found.map((r) => ({
    ref: String(r.node[r.refKey]),
    selector: selectorText(r.node['versionLabel']),
    at: positions.of(r.node, fallback),
  }));
  // Expressions and runtime inputs (`templateRef: <+input>`) name no template pipewright can know.
  const asked = requests.map((q, i) => ({ q, i })).filter(({ q }) => !q.ref.includes('<+') && !q.selector.includes('<+'));
  const outcomes = await resolveInOrder(
    sources,
    asked.map((a) => a.q),
  );
  const reported = new Set<string>();
  for (const [i, q] of requests.entries()) resolutions.set(found[i]!.node, { ref: q.ref, selector: q.selector });
  asked.forEach(({ q, i }, j) => {
    const r = found[i]!;
    const outcome = outcomes[j]!;
    const refAt = positions.at(r.node, r.refKey, q.at);
    if (!outcome.ok) {
      if (outcome.code === 'not-found') {
        bag.warn(
          Codes.OPAQUE_TEMPLATE_NOT_FOUND,
          `${r.type} template ${q.ref} is not in the template sources: recorded as written, without a version`,
          refAt,
        );
      } else if (outcome.code === 'not-locked') {
        // pipewright never runs it: a frozen lock that lacks it records it unpinned, saying so
        // (`lock` pins it when a source has it).
        bag.warn(Codes.OPAQUE_TEMPLATE_NOT_FOUND, `${r.type} template ${outcome.message}: recorded as written, without a version`, refAt);
      } else {
        const code = outcome.code === 'no-version' ? Codes.NO_MATCHING_VERSION : Codes.TEMPLATE_SOURCE;
        const versions = outcome.versions?.length ? ` (available: ${outcome.versions.join(', ')})` : '';
        bag.error(
          code,
          `${outcome.message}${versions}`,
          outcome.code === 'no-version' ? positions.at(r.node, 'versionLabel', refAt) : refAt,
        );
      }
      return;
    }
    const t = outcome.template;
    const type = (t.value as { template?: Obj }).template?.['type'];
    if (type !== r.type) {
      bag.error(Codes.TEMPLATE_TYPE, `${t.ref}@${t.version} is a ${String(type)} template, used here as a ${r.type}`, refAt);
      resolutions.delete(r.node);
      return;
    }
    reportVersion(t, refAt, bag, reported, today, !!options.allowSunset);
    used.set(`${t.ref}@${t.version}`, t);
    resolutions.set(r.node, { ref: q.ref, selector: q.selector, template: t });
  });
  return resolutions;
}

/**
 * The plan records of the opaque references in one stage node: where each is written (with
 * the template chain it sits in) and, when resolved, the version it names as the chain's last
 * link, which the audit inventory counts like any template use.
 */
export function stageReferences(
  stage: Obj,
  ann: Annotation | undefined,
  resolutions: OpaqueResolutions,
  originOf: (node: Obj, ann: Annotation | undefined) => Origin,
  positions: Positions,
): PlanTemplateReference[] {
  const out: PlanTemplateReference[] = [];
  if (!mayReference(stage)) return out;
  for (const r of findOpaqueReferences(stage, ann)) {
    const res = resolutions.get(r.node);
    if (!res) continue;
    const origin = originOf(r.node, r.ann);
    const t = res.template;
    if (t) {
      const spec = (t.value as { template?: Obj }).template?.['spec'];
      origin.templates.push({
        ref: t.ref,
        version: t.version,
        digest: t.digest,
        file: t.file,
        line: positions.of(spec, { file: t.file, line: 1, column: 1 }).line,
      });
    }
    out.push({
      field: r.field,
      type: r.type,
      ref: res.ref,
      ...(res.selector ? { selector: res.selector } : {}),
      ...(t ? { version: t.version, digest: t.digest } : {}),
      origin,
    });
  }
  return out;
}
