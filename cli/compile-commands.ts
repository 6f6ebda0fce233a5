/**
 * `validate` and `compile`.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  compile,
  explainPlan,
  formatDiagnostic,
  formatPlan,
  sortDiagnostics,
  sortKeys,
  validateFiles,
  type Diagnostic,
  type ValidateResult,
} from '../compiler/index.js';
import type { RegistryClient } from '../client/index.js';
import { publishedState } from './published-versions.js';
import { yamlLibrary } from '../compiler/index.js';
import { authoringSources, buildSources } from './sources.js';
import { Exit, ExitError, writeOutput, type CliIO } from './io.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Adds PW4007 for each valid template whose version the registry holds with other content. */
async function checkPublishedVersions(client: RegistryClient, result: ValidateResult): Promise<void> {
  for (const t of result.templates) {
    if (t.errors.length) continue;
    const there = await publishedState(client, t);
    if (there.state !== 'conflict') continue;
    t.errors.push(there.problem);
    result.diagnostics = sortDiagnostics([...result.diagnostics, there.problem]);
    result.ok = false;
  }
}

/** Prints diagnostics as `file:line:col: severity CODE message` lines on stderr. */
export function printDiagnostics(io: CliIO, diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) io.stderr.write(formatDiagnostic(d) + '\n');
}

interface CompileFlags {
  templates: string[];
  inputs: string[];
  set: string[];
  output?: string;
  format: string;
  explain?: boolean;
  partial?: boolean;
  json?: boolean;
  registry?: string;
  token?: string;
  frozenLockfile?: boolean;
  lockfile?: string;
  allowSunset?: boolean;
  strict?: boolean;
}

export function registerCompileCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  program
    .command('validate')
    .description('check pipelines, templates and input sets; templates get every check publishing runs')
    .argument('<files...>', 'YAML files')
    .option('--json', 'print the result as JSON')
    .option('--strict', 'fields pipewright does not know are errors, not warnings')
    .option('-t, --templates <dir>', 'folder of templates the validated templates may use (repeatable)', collect, [])
    .option('--registry <url>', 'registry whose templates the validated templates may use (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .action(async (files: string[], opts: { json?: boolean; strict?: boolean; templates: string[]; registry?: string; token?: string }) => {
      const { sources, client } = authoringSources(opts, io);
      const result = await validateFiles(
        files.map((f) => resolve(cwd, f)),
        { baseDir: cwd, strict: !!opts.strict, sources, requireTemplates: !!client },
      );
      // With a registry, a template that validates also publishes: its version is not taken there by other content.
      if (client) await checkPublishedVersions(client, result);
      if (opts.json)
        io.stdout.write(
          JSON.stringify({ ok: result.ok, files: result.files, templates: result.templates, diagnostics: result.diagnostics }, null, 2) +
            '\n',
        );
      else {
        printDiagnostics(io, result.diagnostics);
        // What each readable file holds; file-level problems are the diagnostics' to say.
        for (const f of result.files) {
          const kinds = f.kinds.filter((k) => k !== 'unknown');
          if (kinds.length) io.stdout.write(`${f.file}: ${kinds.join(', ')}\n`);
        }
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
        io.stdout.write(result.ok ? `${result.files.length} file(s) valid\n` : `${errors} error(s)\n`);
      }
      if (!result.ok) throw new ExitError(Exit.INVALID);
    });

  program
    .command('compile')
    .description('resolve templates and inputs and print the flat execution plan')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('-t, --templates <dir>', 'folder of template files (repeatable)', collect, [])
    .option('--inputs <file>', 'input set (Harness inputSet shape or a pipeline overlay); repeatable', collect, [])
    .option('--set <path=value>', 'fill one runtime input, e.g. pipeline.variables.env=prod (repeatable)', collect, [])
    .option('-o, --output <file>', 'write the plan to a file instead of stdout')
    .option('--format <format>', 'json or yaml', 'json')
    .option('--explain', 'print the plan as a readable tree')
    .option('--partial', 'keep unfilled runtime inputs, and templates no source has, as placeholders (warnings, not errors)')
    .option('--strict', 'fields pipewright does not know are errors, not warnings')
    .option('--json', 'print {ok, diagnostics, plans} as one JSON document')
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option(
      '--frozen-lockfile',
      'use only the versions pipewright.lock holds (from the cache, or fetched by exact version from the registry); never changes the lock',
    )
    .option('--lockfile <file>', 'lockfile path (default: pipewright.lock beside the pipeline)')
    .option('--allow-sunset', 'allow template versions past their deprecation sunset date')
    .action(async (pipeline: string, opts: CompileFlags) => {
      if (opts.format !== 'json' && opts.format !== 'yaml')
        throw new ExitError(Exit.INVALID, `--format must be json or yaml, not ${opts.format}`);
      const file = resolve(cwd, pipeline);
      const src = buildSources(opts, file, io);
      const result = await compile({
        file,
        baseDir: cwd,
        sources: src.sources,
        inputs: opts.inputs.map((f) => ({ file: resolve(cwd, f) })),
        sets: opts.set,
        partial: !!opts.partial,
        placeholders: !!opts.partial,
        allowSunset: !!opts.allowSunset,
        strict: !!opts.strict,
      });
      if (result.ok) {
        const wrote = src.saveLock();
        if (wrote) io.stderr.write(`updated ${wrote}\n`);
      }
      if (opts.json) {
        io.stdout.write(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, plans: result.plans }, null, 2) + '\n');
        if (!result.ok) throw new ExitError(Exit.INVALID);
        return;
      }
      printDiagnostics(io, result.diagnostics);
      if (!result.ok) {
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
        io.stderr.write(`compile failed: ${errors} error(s)\n`);
        throw new ExitError(Exit.INVALID);
      }
      if (opts.explain) {
        for (const plan of result.plans) io.stdout.write(explainPlan(plan));
        return;
      }
      const text = result.plans
        .map((plan) => (opts.format === 'yaml' ? yamlLibrary().stringify(sortKeys(plan)) : formatPlan(plan)))
        .join(opts.format === 'yaml' ? '---\n' : '');
      if (opts.output) {
        writeOutput(cwd, opts.output, text);
        io.stderr.write(`wrote ${opts.output} (${result.plans.map((p) => `${p.steps.length} steps, ${p.digest}`).join('; ')})\n`);
      } else io.stdout.write(text);
    });
}
