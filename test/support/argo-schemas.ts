/**
 * Offline validation of Argo Workflows manifests (`export --target argo`) against the two
 * published schemas in `test/fixtures/argo-schemas/` (see its README.md):
 *
 * - `argo`: Argo's own JSON Schema (draft 2020-12), the `Workflow` or `WorkflowTemplate`
 *   definition chosen by `kind`. Types every IntOrString as a string; not strict (a misspelt
 *   field passes).
 * - `strict`: the `WorkflowTemplate` CRD's structural schema, `additionalProperties: false`
 *   throughout. A `Workflow` is checked as a copy with `kind: WorkflowTemplate` (and a
 *   `metadata.name` when it has only `generateName`), since both kinds share the spec's shape.
 *
 * Each schema is compiled once per process, on first use: about 0.3 s for Argo's and 0.9 s
 * for the strict one (1.7 MB, no `$ref`s: ajv's code optimizer alone doubled that, so it is off).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The errors of each schema, `instancePath: message`; both empty when the manifest is valid. */
export interface ArgoValidation {
  argo: string[];
  strict: string[];
}

const ARGO_FILE = 'argo-schema.json';
const STRICT_FILE = 'workflowtemplate_v1alpha1.strict.json';
const KINDS = ['Workflow', 'WorkflowTemplate'] as const;
type Kind = (typeof KINDS)[number];

/** Options of both ajv instances: every error, unknown keywords (`x-kubernetes-*`) ignored. */
const OPTIONS: Options = { strict: false, allErrors: true, code: { optimize: false } };

/** `test/fixtures/argo-schemas/`, from the source (`test/support/`) or a build (`dist/test/support/`). */
function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'argo-schemas');
    if (existsSync(join(candidate, ARGO_FILE))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('argo-schemas: test/fixtures/argo-schemas/ not found');
}

function readSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtureDir(), file), 'utf8')) as Record<string, unknown>;
}

/** Formats both schemas use (int32, int64, byte, date-time), checked as Kubernetes does. */
function withFormats<T extends Ajv>(ajv: T): T {
  addFormatsModule.default(ajv);
  return ajv;
}

let argoAjv: { ajv: Ajv2020; id: string } | undefined;
const argoValidators = new Map<Kind, ValidateFunction>();
let strictValidator: ValidateFunction | undefined;

/** Argo's schema for one kind, compiled on first use (the two kinds share their definitions). */
function argoValidator(kind: Kind): ValidateFunction {
  let v = argoValidators.get(kind);
  if (v) return v;
  if (!argoAjv) {
    const schema = readSchema(ARGO_FILE);
    const ajv = withFormats(new Ajv2020(OPTIONS));
    ajv.addSchema(schema);
    argoAjv = { ajv, id: String(schema['$id']) };
  }
  v = argoAjv.ajv.getSchema(`${argoAjv.id}#/definitions/io.argoproj.workflow.v1alpha1.${kind}`);
  if (!v) throw new Error(`argo-schemas: no definition for ${kind} in ${ARGO_FILE}`);
  argoValidators.set(kind, v);
  return v;
}

/** The strict CRD schema, compiled on first use. */
function strictValidatorOnce(): ValidateFunction {
  strictValidator ??= withFormats(new Ajv(OPTIONS)).compile(readSchema(STRICT_FILE));
  return strictValidator;
}

/** One readable line per error: where, what, and the offending name or allowed values when ajv gives them. */
function errorLine(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  let detail = '';
  if (typeof p['additionalProperty'] === 'string') detail = ` (${p['additionalProperty']})`;
  else if (p['allowedValues'] !== undefined) detail = ` (${JSON.stringify(p['allowedValues'])})`;
  else if (p['allowedValue'] !== undefined) detail = ` (${JSON.stringify(p['allowedValue'])})`;
  return `${e.instancePath || '/'}: ${e.message ?? e.keyword}${detail}`;
}

function run(v: ValidateFunction, value: unknown): string[] {
  return v(value) ? [] : (v.errors ?? []).map(errorLine);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * What the strict schema sees: a `Workflow` becomes a `WorkflowTemplate` (same spec shape),
 * named after its `generateName` when it has no name. Other manifests are checked as they are.
 */
function asTemplate(manifest: Record<string, unknown>): Record<string, unknown> {
  if (manifest['kind'] !== 'Workflow') return manifest;
  const copy: Record<string, unknown> = { ...manifest, kind: 'WorkflowTemplate' };
  const meta = manifest['metadata'];
  if (isRecord(meta) && meta['name'] === undefined && typeof meta['generateName'] === 'string') {
    const name = meta['generateName'].replace(/-+$/, '') || 'workflow';
    copy['metadata'] = { ...meta, name };
  }
  return copy;
}

/** Checks `manifest` (a `Workflow` or `WorkflowTemplate`) against both schemas. */
export function validateArgo(manifest: unknown): ArgoValidation {
  const kind = isRecord(manifest) ? manifest['kind'] : undefined;
  if (!isRecord(manifest) || !KINDS.includes(kind as Kind)) {
    const problem = `/kind: must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind)})`;
    return { argo: [problem], strict: [problem] };
  }
  return { argo: run(argoValidator(kind as Kind), manifest), strict: run(strictValidatorOnce(), asTemplate(manifest)) };
}

/** Throws an Error listing every error of both schemas, unless `manifest` passes both. */
export function expectValidArgo(manifest: unknown): void {
  const { argo, strict } = validateArgo(manifest);
  if (argo.length === 0 && strict.length === 0) return;
  const section = (title: string, errors: string[]): string[] =>
    errors.length === 0 ? [] : [`${title} (${errors.length}):`, ...errors.map((e) => `  ${e}`)];
  throw new Error(['Argo manifest is not valid', ...section(`- ${ARGO_FILE}`, argo), ...section(`- ${STRICT_FILE}`, strict)].join('\n'));
}
