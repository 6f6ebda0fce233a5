/**
 * What publishing checks before anything is stored: the document is one template, valid
 * against `template.schema.json`, its scope and versionLabel match the URL, and it compiles
 * in isolation (nested references resolved against the registry itself, required inputs
 * left open as runtime inputs).
 */
import { stringify } from 'yaml';
import {
  canonicalJson,
  checkSchema,
  compile,
  digestOf,
  formatDiagnostic,
  readYaml,
  refOfTemplate,
  sourcePositions,
  type Diagnostic,
} from '../compiler/index.js';
import { DiagnosticBag } from '../compiler/index.js';
import { checkDeclaredDefaults, type InputDecl } from '../compiler/index.js';
import { checkRuntimeInputDefaults } from '../compiler/index.js';
import { invalidTemplate, badRequest } from './errors.js';
import type { NewVersion, Store } from './store.js';
import { SingleSource, StoreSource, registryFile } from './store-source.js';

/** The body of a publish request: the YAML text (preferred: diagnostics get lines) or the document. */
export interface PublishBody {
  yaml?: string;
  template?: unknown;
}

export async function preparePublish(store: Store, ref: string, version: string, body: PublishBody): Promise<NewVersion> {
  let source: string;
  if (typeof body.yaml === 'string') source = body.yaml;
  else if (body.template && typeof body.template === 'object') source = stringify({ template: body.template });
  else throw badRequest("the body needs 'yaml' (the template file's text) or 'template' (the parsed template)");
  const file = registryFile(ref, version);
  // A template is one document: thousands of `---` documents are refused before any is parsed
  // (a column-0 `---` always starts a document; it cannot stand inside a scalar).
  if ((source.match(/^---(?=[ \t\r\n]|$)/gm)?.length ?? 0) > 2)
    throw invalidTemplate('the body must hold exactly one document with a template: root');
  const bag = new DiagnosticBag();
  const docs = readYaml(file, source, sourcePositions, bag);
  if (bag.hasErrors)
    throw invalidTemplate(`the template is not valid YAML: ${formatDiagnostic(bag.items.find((d) => d.severity === 'error')!)}`, bag.items);
  const roots = docs.filter((d) => d.value && typeof d.value === 'object' && 'template' in d.value);
  if (docs.length !== 1 || roots.length !== 1) throw invalidTemplate('the body must hold exactly one document with a template: root');
  const root = roots[0]!.value as { template: Record<string, unknown> };
  if (!checkSchema('template', root, file, bag)) throw invalidTemplate('the template does not match template.schema.json', bag.items);
  const t = root.template;
  const actualRef = refOfTemplate(t as { identifier: string });
  if (actualRef !== ref) throw invalidTemplate(`the template's identifier and scope make it ${actualRef}, not ${ref}`);
  if (String(t['versionLabel']) !== version)
    throw invalidTemplate(`the template's versionLabel is ${String(t['versionLabel'])}, not ${version}`);
  // Regexes RE2 refuses and defaults their own declarations refuse, located in the template.
  checkDeclaredDefaults((t['inputs'] ?? {}) as Record<string, InputDecl>, { file, line: 1, column: 1 }, bag);
  checkRuntimeInputDefaults(t['spec'], { file, line: 1, column: 1 }, bag);
  if (bag.hasErrors)
    throw invalidTemplate(
      `the template's inputs are invalid: ${formatDiagnostic(bag.items.find((d) => d.severity === 'error')!)}`,
      bag.items,
    );
  const digest = digestOf(root);
  // Deployment, artifact-source, monitored-service and secret-manager templates have a spec
  // pipewright does not read: there is nothing to compile them into.
  const problems = OPAQUE.has(String(t['type'])) ? [] : await compileInIsolation(store, ref, version, digest, root, t);
  if (problems.length) throw invalidTemplate(`the template does not compile: ${formatDiagnostic(problems[0]!)}`, problems);
  return {
    ref,
    scope: ref.startsWith('account.') ? 'account' : ref.startsWith('org.') ? 'org' : 'project',
    identifier: String(t['identifier']),
    type: String(t['type']),
    name: String(t['name']),
    description: typeof t['description'] === 'string' ? t['description'] : '',
    version,
    digest,
    source,
    canonical: canonicalJson(root),
    inputs: canonicalJson(t['inputs'] ?? {}),
  };
}

/** Template types whose spec is opaque to pipewright (published, listed, never expanded). */
const OPAQUE = new Set(['CustomDeployment', 'ArtifactSource', 'MonitoredService', 'SecretManager']);

/** Compiles a one-stage pipeline that uses the candidate; returns its error diagnostics. */
async function compileInIsolation(
  store: Store,
  ref: string,
  version: string,
  digest: string,
  root: unknown,
  t: Record<string, unknown>,
): Promise<Diagnostic[]> {
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
  const use = { templateRef: ref, versionLabel: version, ...(Object.keys(placeholders).length ? { inputs: placeholders } : {}) };
  const stage = (steps: unknown[]) => ({ stage: { name: 'check', identifier: 'check', type: 'CI', spec: { execution: { steps } } } });
  let pipeline: Record<string, unknown>;
  switch (t['type']) {
    case 'Step':
      pipeline = {
        name: 'check',
        identifier: 'check',
        stages: [stage([{ step: { name: 'candidate', identifier: 'candidate', template: use } }])],
      };
      break;
    case 'StepGroup':
      pipeline = {
        name: 'check',
        identifier: 'check',
        stages: [stage([{ stepGroup: { name: 'candidate', identifier: 'candidate', template: use } }])],
      };
      break;
    case 'Stage':
      pipeline = { name: 'check', identifier: 'check', stages: [{ stage: { name: 'candidate', identifier: 'candidate', template: use } }] };
      break;
    default:
      pipeline = { name: 'check', identifier: 'check', template: use };
  }
  const candidate = new SingleSource({ ref, version, digest, file: registryFile(ref, version), value: root });
  // Variables of the pipeline (and, for steps and groups, of the stage) come from consumers.
  const openVariables: ('pipeline' | 'stage')[] =
    t['type'] === 'Pipeline' ? [] : t['type'] === 'Stage' ? ['pipeline'] : ['pipeline', 'stage'];
  const result = await compile({
    file: `publish-check:${ref}@${version}`,
    text: stringify({ pipeline }),
    sources: [candidate, new StoreSource(store)],
    partial: true,
    openVariables,
  });
  return result.diagnostics.filter((d) => d.severity === 'error');
}
