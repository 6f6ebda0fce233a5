/**
 * The isolation compile: a template is compiled on its own, inside the smallest pipeline that
 * can use it, before it is published. Publishing (the registry), `validate` and
 * `template publish --dry-run` run this one check, so a template that validates publishes.
 *
 * Required inputs are filled with placeholders of their type (the first allowed value when
 * there is a list); variables of the pipeline (and, for steps and step groups, of the stage)
 * stay open, since consumers supply them.
 */
import { stringify } from 'yaml';
import { compile } from '../compile.js';
import { Codes, type Diagnostic } from '../diagnostics.js';
import type { InputDecl } from '../inputs/inputs.js';
import type { Positions } from '../yaml/index.js';
import type { ResolvedTemplate, TemplateSource } from '../sources/source.js';

/** Template types whose spec is opaque to pipewright (published, listed, never expanded). */
export const OPAQUE_TEMPLATE_TYPES: ReadonlySet<string> = new Set([
  'CustomDeployment',
  'ArtifactSource',
  'MonitoredService',
  'SecretManager',
]);

export interface IsolationOptions {
  /** Where the candidate's objects are located (default: the compile's own default). */
  positions?: Positions;
  /**
   * A nested template no source has is a warning ending in this note instead of an error
   * (`validate` without a registry: it cannot know what the registry holds).
   */
  missingTemplates?: { note: string };
}

export interface IsolationResult {
  /** Errors, and warnings about the template and what it uses; never about the check's own pipeline. */
  diagnostics: Diagnostic[];
  /** Template versions the compile resolved, the candidate first (also when it failed). */
  used: { ref: string; version: string; digest: string; file: string }[];
}

/** The file name the check's own pipeline is compiled under. */
const CHECK_FILE = (t: ResolvedTemplate) => `publish-check:${t.ref}@${t.version}`;

/**
 * Compiles `candidate` (its `value` is the whole document, `template:` root) in isolation.
 * `sources` answer the candidate's own reference first (a `CandidateSource` holding it), then
 * its nested references in order.
 */
export async function compileInIsolation(
  candidate: ResolvedTemplate,
  sources: readonly TemplateSource[],
  options: IsolationOptions = {},
): Promise<IsolationResult> {
  const t = (candidate.value as { template: Record<string, unknown> }).template;
  if (OPAQUE_TEMPLATE_TYPES.has(String(t['type']))) return { diagnostics: [], used: [] };
  const file = CHECK_FILE(candidate);
  const result = await compile({
    file,
    text: stringify({ pipeline: pipelineUsing(candidate, t) }),
    sources: [...sources],
    partial: true,
    // Variables of the pipeline (and, for steps and groups, of the stage) come from consumers.
    openVariables: t['type'] === 'Pipeline' ? [] : t['type'] === 'Stage' ? ['pipeline'] : ['pipeline', 'stage'],
    ...(options.positions ? { positions: options.positions } : {}),
    ...(options.missingTemplates ? { placeholders: true, placeholderNote: options.missingTemplates.note } : {}),
  });
  return {
    // Open runtime inputs are the check's own doing (its placeholders), not the template's.
    diagnostics: result.diagnostics.filter(
      (d) => d.severity === 'error' || (d.severity === 'warning' && d.file !== file && d.code !== Codes.RUNTIME_INPUT_MISSING),
    ),
    used: result.used,
  };
}

/** The one-stage pipeline (or bare pipeline) that uses the candidate with placeholder inputs. */
function pipelineUsing(candidate: ResolvedTemplate, t: Record<string, unknown>): Record<string, unknown> {
  const placeholders: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries((t['inputs'] ?? {}) as Record<string, InputDecl>)) {
    if (decl.default !== undefined) continue;
    // An own property even for `__proto__` (plain assignment would set the prototype).
    Object.defineProperty(placeholders, name, {
      enumerable: true,
      configurable: true,
      writable: true,
      value:
        decl.allowedValues?.[0] ??
        ({ number: 0, boolean: false, array: [], object: {}, steps: [], stages: [] } as Record<string, unknown>)[decl.type] ??
        '<+input>',
    });
  }
  const use = {
    templateRef: candidate.ref,
    versionLabel: candidate.version,
    ...(Object.keys(placeholders).length ? { inputs: placeholders } : {}),
  };
  const stage = (steps: unknown[]) => ({ stage: { name: 'check', identifier: 'check', type: 'CI', spec: { execution: { steps } } } });
  const named = { name: 'check', identifier: 'check' };
  // The node is named after the template, so messages about its steps read `check.redis.server`.
  const node = { name: String(t['name'] ?? t['identifier']), identifier: String(t['identifier']), template: use };
  switch (t['type']) {
    case 'Step':
      return { ...named, stages: [stage([{ step: node }])] };
    case 'StepGroup':
      return { ...named, stages: [stage([{ stepGroup: node }])] };
    case 'Stage':
      return { ...named, stages: [{ stage: node }] };
    default:
      return { ...named, template: use };
  }
}
