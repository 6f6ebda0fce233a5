/**
 * The compiler's entry point: one pipeline file (and its templates, input sets and --set
 * values) in, one plan per pipeline document and every diagnostic out. Never throws for bad
 * input: every problem is a located diagnostic.
 */
import { textOf } from './text.js';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import type { Plan } from '../schemas/index.js';
import { Codes, DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { resolveOpaqueReferences } from './templates/opaque-references.js';
import { expandTemplates } from './templates/expand.js';
import { flattenPipeline } from './plan/flatten.js';
import { checkKnownFields } from './checks/known-fields.js';
import { applySet, finalizeInputs, inputSetOverlay, overlayInputs } from './inputs/pipeline-inputs.js';
import { assemblePlan } from './plan/plan.js';
import { checkSchema } from './checks/schema-check.js';
import type { ResolvedTemplate, TemplateSource } from './sources/source.js';
import { DEFAULT_MAX_FILE_BYTES, type YamlDoc } from './yaml/index.js';
import { readYaml, sourcePositions } from './harness-yaml.js';
import type { Positions } from './yaml/index.js';

export interface CompileOptions {
  /** Path of the pipeline file. */
  file: string;
  /** Its content; read from `file` when absent. */
  text?: string;
  /** Template sources, asked in order. */
  sources?: TemplateSource[];
  /** Input-set files (`--inputs`), applied in order. */
  inputs?: { file: string; text?: string }[];
  /** `--set path=value` assignments, applied after the input sets. */
  sets?: string[];
  /** Keep unfilled runtime inputs as placeholders (warnings) instead of errors. */
  partial?: boolean;
  /** Step, step group and stage templates no source has become placeholders (warnings): `compile --partial`. */
  placeholders?: boolean;
  /** What a placeholder's warning says after the source's message (default: "kept as a placeholder (--partial)"). */
  placeholderNote?: string;
  /** Paths in diagnostics and provenance are shown relative to this folder (default: cwd). */
  baseDir?: string | undefined;
  /** Largest file read, in bytes (default 5 MB). */
  maxBytes?: number;
  /** Today, for deprecation sunset dates (default: now). */
  now?: Date;
  /** Use template versions past their sunset date (warning instead of error). */
  allowSunset?: boolean;
  /**
   * Scopes whose undeclared variables are unknown values, not errors (PW3012): how the
   * registry checks a template on its own, before any consumer declares them.
   */
  openVariables?: readonly ('pipeline' | 'stage')[];
  /** Fields pipewright does not know are errors, not warnings (`--strict`). */
  strict?: boolean;
  /**
   * The table where the values read by this compile record their positions. Templates from
   * `sources` must have been read into the same table (the default one, unless the sources
   * were given this table too). Default: the process's table.
   */
  positions?: Positions;
}

export interface CompileResult {
  /** True when there is no error diagnostic. */
  ok: boolean;
  /** One plan per pipeline document, in file order; empty when any error occurred. */
  plans: Plan[];
  /** Convenience: the first plan. */
  plan?: Plan;
  /** Sorted by file, line, column. */
  diagnostics: Diagnostic[];
  /** Template versions used that are deprecated (with their message and sunset date). */
  deprecated: { ref: string; version: string; message: string; sunset?: string }[];
  /** Template versions used that are yanked (pinned exactly). */
  yanked: { ref: string; version: string }[];
  /** Every template version the compile resolved, in the order first used (also when it failed). */
  used: { ref: string; version: string; digest: string; file: string }[];
}

/** Shows `path` relative to `base` when it lies below it, with forward slashes. */
export function displayPath(path: string, base: string = process.cwd()): string {
  const rel = relative(base, path);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  return sep === '/' ? shown : shown.split(sep).join('/');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads a file into text, or reports why not (PW1006: missing, a folder, unreadable, not UTF-8; PW1002: too large). */
export function readSource(path: string, display: string, bag: DiagnosticBag, maxBytes = DEFAULT_MAX_FILE_BYTES): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      bag.error(Codes.FILE_UNREADABLE, 'is a directory, not a file', { file: display, line: 1, column: 1 });
      return undefined;
    }
    if (st.size > maxBytes) {
      bag.error(Codes.FILE_TOO_LARGE, `file is ${st.size} bytes, over the limit of ${maxBytes} bytes`, {
        file: display,
        line: 1,
        column: 1,
      });
      return undefined;
    }
    const bytes = readFileSync(path);
    try {
      // Fatal: a file in another encoding is named as such, not read as replacement characters.
      return UTF8.decode(bytes);
    } catch {
      bag.error(Codes.FILE_UNREADABLE, 'is not UTF-8 text (YAML files are read as UTF-8)', { file: display, line: 1, column: 1 });
      return undefined;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    bag.error(Codes.FILE_UNREADABLE, err.code === 'ENOENT' ? 'no such file' : `cannot read: ${err.message}`, {
      file: display,
      line: 1,
      column: 1,
    });
    return undefined;
  }
}

/** Compiles a pipeline file into plans. */
export async function compile(options: CompileOptions): Promise<CompileResult> {
  const bag = new DiagnosticBag();
  const file = displayPath(options.file, options.baseDir);
  const text = options.text ?? readSource(options.file, file, bag, options.maxBytes);
  if (text === undefined) return finish(bag, []);
  const positions = options.positions ?? sourcePositions;
  const docs = readYaml(file, text, positions, bag, { maxBytes: options.maxBytes });
  const pipelines = docs.filter(isPipelineDoc);
  if (pipelines.length === 0 && !bag.hasErrors) {
    const first = docs[0];
    const what =
      first && first.value && typeof first.value === 'object' && 'template' in first.value ? ' (this is a template: use validate)' : '';
    bag.error(Codes.NOT_A_DOCUMENT, `no document with a 'pipeline:' root${what}`, { file, line: first?.line ?? 1, column: 1 });
  }
  const overlays = readInputSets(options, bag, positions);
  const plans: Plan[] = [];
  const used: ResolvedTemplate[] = [];
  for (const doc of pipelines) {
    const first = bag.items.length;
    const plan = await compileDoc(doc, file, options, overlays, bag, used, positions);
    if (plan) plans.push(plan);
    // In a file of several pipelines, every diagnostic says which document it is about.
    if (pipelines.length > 1)
      for (const d of bag.items.slice(first)) d.message += ` (document ${doc.index + 1}, pipeline ${pipelineId(doc)})`;
  }
  return finish(bag, plans, used);
}

function finish(bag: DiagnosticBag, plans: Plan[], used: ResolvedTemplate[] = []): CompileResult {
  const ok = !bag.hasErrors;
  const diagnostics = sortDiagnostics(bag.items);
  if (bag.dropped > 0) {
    diagnostics.push({
      code: Codes.MORE_DIAGNOSTICS,
      severity: 'info',
      message: `${bag.dropped} more diagnostics not shown`,
      file: diagnostics[0]?.file ?? '',
      line: 1,
      column: 1,
    });
  }
  const deprecated = used.flatMap((t) => (t.deprecation ? [{ ref: t.ref, version: t.version, ...t.deprecation }] : []));
  const yanked = used.flatMap((t) => (t.yanked ? [{ ref: t.ref, version: t.version }] : []));
  const result: CompileResult = {
    ok,
    plans: ok ? plans : [],
    diagnostics,
    deprecated,
    yanked,
    used: used.map(({ ref, version, digest, file }) => ({ ref, version, digest, file })),
  };
  if (ok && plans[0]) result.plan = plans[0];
  return result;
}

function pipelineId(d: YamlDoc): string {
  const p = (d.value as { pipeline?: { identifier?: unknown } }).pipeline;
  return typeof p?.identifier === 'string' ? p.identifier : '?';
}

function isPipelineDoc(d: YamlDoc): boolean {
  return !!d.value && typeof d.value === 'object' && !Array.isArray(d.value) && 'pipeline' in d.value;
}

function readInputSets(
  options: CompileOptions,
  bag: DiagnosticBag,
  positions: Positions,
): { file: string; overlay: Record<string, unknown> }[] {
  const out: { file: string; overlay: Record<string, unknown> }[] = [];
  for (const input of options.inputs ?? []) {
    const file = displayPath(input.file, options.baseDir);
    const text = input.text ?? readSource(input.file, file, bag, options.maxBytes);
    if (text === undefined) continue;
    const docs = readYaml(file, text, positions, bag, { maxBytes: options.maxBytes });
    let found = false;
    for (const d of docs) {
      const overlay = inputSetOverlay(d.value);
      if (overlay) {
        checkKnownFields(d.value, file, bag, positions, !!options.strict);
        out.push({ file, overlay });
        found = true;
      }
    }
    if (!found && docs.length > 0)
      bag.error(Codes.NOT_A_DOCUMENT, "an input set needs an 'inputSet: {pipeline: ...}' or 'pipeline:' root", {
        file,
        line: 1,
        column: 1,
      });
  }
  return out;
}

async function compileDoc(
  doc: YamlDoc,
  file: string,
  options: CompileOptions,
  overlays: { file: string; overlay: Record<string, unknown> }[],
  bag: DiagnosticBag,
  usedSoFar: ResolvedTemplate[],
  positions: Positions,
): Promise<Plan | undefined> {
  const before = bag.items.filter((d) => d.severity === 'error').length;
  const errorsSince = () => bag.items.filter((d) => d.severity === 'error').length > before || bag.full;
  const root = doc.value as Record<string, unknown>;
  if (!checkSchema('pipeline', root, file, bag, positions)) return undefined;
  checkKnownFields(root, file, bag, positions, !!options.strict);
  if (errorsSince()) return undefined;
  for (const o of overlays) overlayInputs(root['pipeline'], o.overlay, bag, { file: o.file, line: 1, column: 1 }, positions);
  const { used, placeholders } = await expandTemplates(root, file, options.sources ?? [], bag, positions, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.allowSunset ? { allowSunset: true } : {}),
    ...(options.placeholders ? { placeholders: true } : {}),
    ...(options.placeholderNote ? { placeholderNote: options.placeholderNote } : {}),
  });
  const opaque = await resolveOpaqueReferences(root['pipeline'], file, options.sources ?? [], bag, used, positions, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.allowSunset ? { allowSunset: true } : {}),
  });
  usedSoFar.push(...used.values());
  if (errorsSince()) return undefined;
  if (used.size > 0 && !checkSchema('pipeline', root, file, bag, positions)) return undefined;
  const pipeline = root['pipeline'] as Record<string, unknown>;
  for (const o of overlays) overlayInputs(pipeline, o.overlay, bag, { file: o.file, line: 1, column: 1 }, positions);
  for (const s of options.sets ?? []) applySet(root, s, bag, positions);
  const open = finalizeInputs(root, file, options.partial ?? false, bag, positions);
  if (errorsSince()) return undefined;
  const flat = flattenPipeline(pipeline, file, bag, positions, {
    ...(options.openVariables ? { openVariables: options.openVariables } : {}),
    ...(opaque.size ? { opaque } : {}),
  });
  if (errorsSince()) return undefined;
  const identifier = textOf(pipeline['identifier'] ?? '');
  return assemblePlan(
    { identifier, name: textOf(pipeline['name'] ?? identifier), variables: flat.variables },
    used.values(),
    flat.stages,
    flat.steps,
    open > 0 || placeholders > 0,
  );
}
