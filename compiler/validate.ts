/**
 * `validate`: every check a file can have without a pipeline to compile it into. Pipelines and
 * input sets are checked against the schemas; a template gets every check publishing runs —
 * schema, input declarations, and the isolation compile (checks/isolation.ts), with the other
 * templates being validated, then `options.sources`, answering its nested references.
 */
import { Codes, DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { displayPath, readSource } from './compile.js';
import { checkDeclaredDefaults, type InputDecl } from './inputs/inputs.js';
import { checkRuntimeInputDefaults } from './inputs/pipeline-inputs.js';
import { checkKnownFields } from './checks/known-fields.js';
import { checkSchema } from './checks/schema-check.js';
import { compileInIsolation } from './checks/isolation.js';
import { digestOf } from './plan/canonical.js';
import { CandidateSource } from './sources/candidate-source.js';
import { refOfTemplate, type ResolvedTemplate, type TemplateSource } from './sources/source.js';
import { textOf } from './text.js';
import { readYaml, sourcePositions } from './harness-yaml.js';
import type { Positions } from './yaml/index.js';

export interface ValidateOptions {
  /** Paths in diagnostics are shown relative to this folder (default: cwd). */
  baseDir?: string;
  maxBytes?: number;
  /** Fields pipewright does not know are errors, not warnings. */
  strict?: boolean;
  positions?: Positions;
  /** Where templates used by the validated templates are found, after the validated files themselves. */
  sources?: TemplateSource[];
  /**
   * A used template that neither the files nor `sources` hold is an error. Without it, it is a
   * warning: `validate` without a registry cannot know what the registry holds.
   */
  requireTemplates?: boolean;
}

/** A template document that passed its own checks and was compiled in isolation. */
export interface ValidatedTemplate {
  file: string;
  /** Line of its document in the file. */
  line: number;
  /** Where its `versionLabel` is written. */
  versionAt: { file: string; line: number; column: number };
  ref: string;
  version: string;
  digest: string;
  /** How many documents the file holds (publishing wants exactly one). */
  documents: number;
  /** Other templates among the validated ones that this one uses (`ref@version`). */
  uses: string[];
  /** Errors of this template: its own, and those its isolation compile found (wherever located). */
  errors: Diagnostic[];
}

export interface ValidateResult {
  ok: boolean;
  /** What each file held: pipeline, template, inputSet, or unknown. */
  files: { file: string; kinds: string[] }[];
  /** Every template document whose identifier and version could be read. */
  templates: ValidatedTemplate[];
  diagnostics: Diagnostic[];
}

interface Candidate extends ValidatedTemplate {
  value: unknown;
  checked: boolean;
}

/** Validates each file; every document must be a pipeline, a template or an input set. */
export async function validateFiles(paths: string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  const bag = new DiagnosticBag();
  const positions = options.positions ?? sourcePositions;
  const files: ValidateResult['files'] = [];
  const candidates: Candidate[] = [];
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
          const before = bag.items.length;
          // Inputs are checked once the shape is right: regexes RE2 refuses, defaults their declarations refuse.
          const shaped = checkSchema('template', v, file, bag, positions);
          if (shaped) {
            checkKnownFields(v, file, bag, positions, !!options.strict);
            checkDeclaredDefaults(inputsOf(v), { file, line: doc.line, column: 1 }, bag, positions);
            checkRuntimeInputDefaults(
              (v as { template: { spec?: unknown } }).template.spec,
              { file, line: doc.line, column: 1 },
              bag,
              positions,
            );
          }
          const t = (v as { template: Record<string, unknown> }).template;
          const errors = bag.items.slice(before).filter((d) => d.severity === 'error');
          if (
            t &&
            typeof t === 'object' &&
            typeof t['identifier'] === 'string' &&
            t['versionLabel'] !== undefined &&
            t['versionLabel'] !== null
          ) {
            const at = positions.at(t, 'versionLabel', { file, line: doc.line, column: 1 });
            candidates.push({
              file,
              line: doc.line,
              versionAt: { file: at.file, line: at.line, column: at.column },
              ref: refOfTemplate(t as { identifier: string }),
              version: textOf(t['versionLabel']),
              digest: digestOf(v),
              documents: docs.length,
              uses: [],
              errors,
              value: v,
              checked: shaped && errors.length === 0,
            });
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
  await checkInIsolation(candidates, bag, positions, options);
  return {
    ok: !bag.hasErrors,
    files,
    templates: candidates.map(({ value: _value, checked: _checked, ...t }) => t),
    diagnostics: sortDiagnostics(bag.items),
  };
}

/**
 * Compiles each template that passed its own checks in isolation, the validated templates
 * answering each other's references first. Two files with one ref@version and different
 * content are an error (which one would be published?).
 */
async function checkInIsolation(
  candidates: Candidate[],
  bag: DiagnosticBag,
  positions: Positions,
  options: ValidateOptions,
): Promise<void> {
  const byId = new Map<string, Candidate>();
  const resolved: ResolvedTemplate[] = [];
  for (const c of candidates) {
    const id = `${c.ref}@${c.version}`;
    const prior = byId.get(id);
    if (prior && prior.digest !== c.digest) {
      const d = conflict(id, prior.file, c);
      bag.error(d.code, d.message, d);
      c.errors.push(d);
      c.checked = false;
      continue;
    }
    if (prior) continue;
    byId.set(id, c);
    // Also one that failed its own checks: a template using it then shows why it cannot be published either.
    resolved.push({ ref: c.ref, version: c.version, digest: c.digest, file: c.file, value: c.value });
  }
  // A reference none of them has: the message says where else it was looked for.
  const elsewhere = (options.sources ?? []).map((source) => source.name);
  const own = new CandidateSource(
    resolved,
    (ref) => `template ${ref} is in none of the files being checked${elsewhere.length ? `, nor in ${elsewhere.join(', ')}` : ''}`,
  );
  const sources = [own, ...(options.sources ?? [])];
  const note = 'not checked (give --templates DIR or --registry URL to check it; publishing checks it against the registry)';
  const found = new Map<Candidate, Diagnostic[]>();
  for (const c of candidates) {
    if (!c.checked) continue;
    const result = await compileInIsolation({ ref: c.ref, version: c.version, digest: c.digest, file: c.file, value: c.value }, sources, {
      positions,
      ...(options.requireTemplates ? {} : { missingTemplates: { note } }),
    });
    found.set(c, result.diagnostics);
    c.uses = result.used
      .filter(
        (u) =>
          (u.ref !== c.ref || u.version !== c.version) &&
          resolved.some((r) => r.ref === u.ref && r.version === u.version && r.file === u.file),
      )
      .map((u) => `${u.ref}@${u.version}`);
  }
  const cycleOf = cycleOwners([...found.keys()]);
  // The checked template of each file (one per file: publishing wants one; for validate the first).
  const inFile = new Map<string, Candidate>();
  for (const c of found.keys()) if (!inFile.has(c.file)) inFile.set(c.file, c);
  for (const [c, diagnostics] of found) {
    // A cycle among the files is one problem: every template in it, or using it, reports the
    // cycle as the first of its templates found it, not as it looks from each of them.
    const owner = cycleOf(c);
    const ds =
      owner && owner !== c
        ? [
            ...diagnostics.filter((d) => d.code !== Codes.TEMPLATE_CYCLE),
            ...found.get(owner)!.filter((d) => d.code === Codes.TEMPLATE_CYCLE),
          ]
        : diagnostics;
    const own = ds.filter((d) => !seenByItsOwnCheck(d, c));
    for (const d of own) bag.add(d.code, d.severity, d.message, d);
    c.errors.push(...own.filter((d) => d.severity === 'error'));
  }

  /**
   * A problem located in another template being validated is that template's to report, from
   * its own check (where it reads with its own step ids): a warning there always, an error
   * when that check found the same error at the same place.
   */
  function seenByItsOwnCheck(d: Diagnostic, c: Candidate): boolean {
    if (d.file === c.file) return false;
    const other = inFile.get(d.file);
    if (!other) return false;
    if (d.severity !== 'error') return true;
    return found.get(other)!.some((e) => e.code === d.code && e.file === d.file && e.line === d.line && e.column === d.column);
  }
}

/**
 * For each template, the first template (in file order) of the first cycle it is in or
 * reaches through `uses`; undefined when it reaches none.
 */
function cycleOwners(templates: Candidate[]): (c: Candidate) => Candidate | undefined {
  const byId = new Map(templates.map((t) => [`${t.ref}@${t.version}`, t]));
  const reach = new Map<Candidate, Set<Candidate>>();
  for (const t of templates) {
    const seen = new Set<Candidate>();
    const todo = [...t.uses];
    while (todo.length) {
      const next = byId.get(todo.pop()!);
      if (next && !seen.has(next)) {
        seen.add(next);
        todo.push(...next.uses);
      }
    }
    reach.set(t, seen);
  }
  const inCycle = (t: Candidate) => reach.get(t)!.has(t);
  return (c) => {
    const reached = [c, ...reach.get(c)!].filter(inCycle);
    if (reached.length === 0) return undefined;
    // The cycle of the first such template; its owner is its first member in file order.
    const cycle = reached[0]!;
    return templates.find((t) => t === cycle || (reach.get(cycle)!.has(t) && reach.get(t)!.has(cycle)));
  };
}

function conflict(id: string, priorFile: string, c: Candidate): Diagnostic {
  return {
    code: Codes.TEMPLATE_CONFLICT,
    severity: 'error',
    message: `${id} is defined twice with different content (also in ${priorFile})`,
    file: c.file,
    line: c.line,
    column: 1,
  };
}

function inputsOf(doc: object): Record<string, InputDecl> {
  const inputs = (doc as { template?: { inputs?: unknown } }).template?.inputs;
  return inputs && typeof inputs === 'object' ? (inputs as Record<string, InputDecl>) : {};
}
