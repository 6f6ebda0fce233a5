/**
 * `validate`: schema checks of pipelines, templates and input sets, file by file, without
 * resolving templates; a template's input declarations are checked as publishing checks them.
 */
import { Codes, DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { displayPath, readSource } from './compile.js';
import { checkDeclaredDefaults, type InputDecl } from './inputs/inputs.js';
import { checkRuntimeInputDefaults } from './inputs/pipeline-inputs.js';
import { checkKnownFields } from './checks/known-fields.js';
import { checkSchema } from './checks/schema-check.js';
import { readYaml, sourcePositions } from './harness-yaml.js';
import type { Positions } from './yaml/index.js';

export interface ValidateResult {
  ok: boolean;
  /** What each file held: pipeline, template, inputSet, or unknown. */
  files: { file: string; kinds: string[] }[];
  diagnostics: Diagnostic[];
}

/** Validates each file; every document must be a pipeline, a template or an input set. */
export function validateFiles(
  paths: string[],
  options: { baseDir?: string; maxBytes?: number; strict?: boolean; positions?: Positions } = {},
): ValidateResult {
  const bag = new DiagnosticBag();
  const positions = options.positions ?? sourcePositions;
  const files: ValidateResult['files'] = [];
  for (const path of paths) {
    const file = displayPath(path, options.baseDir);
    const text = readSource(path, file, bag, options.maxBytes);
    const kinds: string[] = [];
    files.push({ file, kinds });
    if (text === undefined) continue;
    const docs = readYaml(file, text, positions, bag, { maxBytes: options.maxBytes });
    // As compile says of it: a file with no document at all is not a valid anything.
    if (docs.length === 0 && !bag.items.some((d) => d.file === file && d.severity === 'error')) {
      bag.error(Codes.NOT_A_DOCUMENT, "the file is empty: no document with a 'pipeline:', 'template:' or 'inputSet:' root", {
        file,
        line: 1,
        column: 1,
      });
    }
    for (const doc of docs) {
      const v = doc.value;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        if ('pipeline' in v) {
          kinds.push('pipeline');
          if (checkSchema('pipeline', v, file, bag, positions)) checkKnownFields(v, file, bag, positions, !!options.strict);
          continue;
        }
        if ('template' in v) {
          kinds.push('template');
          // Inputs are checked once the shape is right: regexes RE2 refuses, defaults their declarations refuse.
          if (checkSchema('template', v, file, bag, positions)) {
            checkKnownFields(v, file, bag, positions, !!options.strict);
            checkDeclaredDefaults(inputsOf(v), { file, line: doc.line, column: 1 }, bag, positions);
            checkRuntimeInputDefaults(
              (v as { template: { spec?: unknown } }).template.spec,
              { file, line: doc.line, column: 1 },
              bag,
              positions,
            );
          }
          continue;
        }
        if ('inputSet' in v) {
          kinds.push('inputSet');
          checkKnownFields(v, file, bag, positions, !!options.strict);
          continue;
        }
      }
      kinds.push('unknown');
      bag.error(Codes.NOT_A_DOCUMENT, "expected a document with a 'pipeline:', 'template:' or 'inputSet:' root", {
        file,
        line: doc.line,
        column: 1,
      });
    }
  }
  return { ok: !bag.hasErrors, files, diagnostics: sortDiagnostics(bag.items) };
}

function inputsOf(doc: object): Record<string, InputDecl> {
  const inputs = (doc as { template?: { inputs?: unknown } }).template?.inputs;
  return inputs && typeof inputs === 'object' ? (inputs as Record<string, InputDecl>) : {};
}
