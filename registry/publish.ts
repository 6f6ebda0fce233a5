/**
 * What publishing checks before anything is stored: the document is one template, valid
 * against `template.schema.json`, its scope and versionLabel match the URL, and it compiles
 * in isolation (the compiler's `compileInIsolation`: nested references resolved against the
 * registry itself, required inputs left open as runtime inputs). Every refusal carries located
 * diagnostics in `details`.
 */
import { stringify } from 'yaml';
import {
  canonicalJson,
  checkSchema,
  CandidateSource,
  compileInIsolation,
  digestOf,
  formatDiagnostic,
  readYaml,
  refOfTemplate,
  sourcePositions,
  Codes,
  type Diagnostic,
  type Location,
} from '../compiler/index.js';
import { DiagnosticBag } from '../compiler/index.js';
import { checkDeclaredDefaults, type InputDecl } from '../compiler/index.js';
import { checkRuntimeInputDefaults } from '../compiler/index.js';
import { invalidTemplate, badRequest } from './errors.js';
import type { NewVersion, Store } from './store.js';
import { StoreSource, registryFile } from './store-source.js';

/** The body of a publish request: the YAML text (preferred: diagnostics get lines) or the document. */
export interface PublishBody {
  yaml?: string;
  template?: unknown;
}

/** A refusal with one located diagnostic (its message is the error's message too). */
function refuse(message: string, at: Location, code: string = Codes.SCHEMA): never {
  const d: Diagnostic = { code, severity: 'error', message, ...at } as Diagnostic;
  throw invalidTemplate(message, [d]);
}

export async function preparePublish(store: Store, ref: string, version: string, body: PublishBody): Promise<NewVersion> {
  let source: string;
  if (typeof body.yaml === 'string') source = body.yaml;
  else if (body.template && typeof body.template === 'object') source = stringify({ template: body.template });
  else throw badRequest("the body needs 'yaml' (the template file's text) or 'template' (the parsed template)");
  const file = registryFile(ref, version);
  const top: Location = { file, line: 1, column: 1 };
  // A template is one document: thousands of `---` documents are refused before any is parsed
  // (a column-0 `---` always starts a document; it cannot stand inside a scalar).
  if ((source.match(/^---(?=[ \t\r\n]|$)/gm)?.length ?? 0) > 2)
    refuse('the body must hold exactly one document with a template: root', top, Codes.NOT_A_DOCUMENT);
  const bag = new DiagnosticBag();
  const docs = readYaml(file, source, sourcePositions, bag);
  if (bag.hasErrors)
    throw invalidTemplate(`the template is not valid YAML: ${formatDiagnostic(bag.items.find((d) => d.severity === 'error')!)}`, bag.items);
  const roots = docs.filter((d) => d.value && typeof d.value === 'object' && 'template' in d.value);
  if (docs.length !== 1 || roots.length !== 1)
    refuse(
      'the body must hold exactly one document with a template: root',
      { file, line: docs[1]?.line ?? 1, column: 1 },
      Codes.NOT_A_DOCUMENT,
    );
  const root = roots[0]!.value as { template: Record<string, unknown> };
  if (!checkSchema('template', root, file, bag)) throw invalidTemplate('the template does not match template.schema.json', bag.items);
  const t = root.template;
  const at = (key: string) => sourcePositions.at(t, key, sourcePositions.of(t, top));
  const actualRef = refOfTemplate(t as { identifier: string });
  if (actualRef !== ref) refuse(`the template's identifier and scope make it ${actualRef}, not ${ref}`, at('identifier'));
  if (String(t['versionLabel']) !== version)
    refuse(`the template's versionLabel is ${String(t['versionLabel'])}, not ${version}`, at('versionLabel'));
  // Regexes RE2 refuses and defaults their own declarations refuse, located in the template.
  checkDeclaredDefaults((t['inputs'] ?? {}) as Record<string, InputDecl>, top, bag);
  checkRuntimeInputDefaults(t['spec'], top, bag);
  if (bag.hasErrors)
    throw invalidTemplate(
      `the template's inputs are invalid: ${formatDiagnostic(bag.items.find((d) => d.severity === 'error')!)}`,
      bag.items,
    );
  const digest = digestOf(root);
  const candidate = { ref, version, digest, file, value: root };
  const checked = await compileInIsolation(candidate, [new CandidateSource([candidate]), new StoreSource(store)]);
  const problems = checked.diagnostics.filter((d) => d.severity === 'error');
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
