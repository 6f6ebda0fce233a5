/**
 * `audit`: check a fleet of pipelines against a policy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  excludeGlobs,
  findPipelines,
  FORMATS,
  type FoundPipelines,
  formatImpact,
  formatReport,
  loadPolicy,
  PolicyError,
  runAudit,
  runImpact,
  type Format,
  type Policy,
} from '../audit/index.js';
import {
  checkSchema,
  Codes,
  digestOf,
  displayPath,
  formatDiagnostic,
  highestStable,
  readYaml,
  refOfTemplate,
  sourcePositions,
  type ResolvedTemplate,
} from '../compiler/index.js';
import { DiagnosticBag } from '../compiler/index.js';
import { Exit, ExitError, writeOutput, type CliIO } from './io.js';
import { fleetSources } from './fleet-sources.js';
import { progressBar } from './progress.js';
import { auditInWorkers } from './audit-pool.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface AuditFlags {
  policy: string;
  templates: string[];
  registry?: string;
  token?: string;
  format?: string;
  glob?: string;
  failOn: string;
  output?: string;
  workers?: string;
  exclude: string[];
  allowEmpty?: boolean;
  frozenLockfile?: boolean;
  strict?: boolean;
}

function readPolicy(file: string, io: CliIO): { policy: Policy; text: string } {
  try {
    const text = readFileSync(resolve(io.cwd ?? process.cwd(), file), 'utf8');
    return { policy: loadPolicy(file, text), text };
  } catch (e) {
    if (e instanceof PolicyError) {
      for (const d of e.diagnostics) io.stderr.write(formatDiagnostic(d) + '\n');
      throw new ExitError(Exit.INVALID, 'invalid policy');
    }
    throw new ExitError(
      Exit.INVALID,
      `--policy: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

export function registerAuditCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  program
    .command('audit')
    .description('check every pipeline under the paths against a policy; report violations, inventory and drift')
    .argument('<paths...>', 'pipeline files or folders')
    .requiredOption('--policy <file>', 'policy YAML (schemas/policy.schema.json)')
    .option('-t, --templates <dir>', 'template folder (repeatable)', collect, [])
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--format <format>', `${FORMATS.join(', ')} (default: table on a terminal, json otherwise)`)
    .option('--glob <regex>', 'only files whose path matches this regular expression')
    .option('--exclude <glob>', 'leave out paths matching this glob (repeatable; `vendor`, `*.draft.yaml`, `svc/**`)', collect, [])
    .option('--allow-empty', 'exit 0 when no pipeline is found (default: exit 2)')
    .option(
      '--frozen-lockfile',
      "compile each pipeline only from its folder's pipewright.lock, as compile --frozen-lockfile does (a pipeline that cannot is a failure)",
    )
    .option('--strict', 'fields pipewright does not know are errors (the pipeline does not compile), not warnings')
    .option('--fail-on <severity>', 'error or warning: which violations make the exit code 1', 'error')
    .option('-o, --output <file>', 'write the report to a file')
    .option('--workers <n>', 'worker threads (default: one per core for more than 500 files on 4 or more cores, else 1)')
    .action(async (paths: string[], flags: AuditFlags) => {
      const format = (flags.format ?? (io.stdout.isTTY ? 'table' : 'json')) as Format;
      if (!FORMATS.includes(format)) throw new ExitError(Exit.INVALID, `--format must be one of ${FORMATS.join(', ')}`);
      if (flags.failOn !== 'error' && flags.failOn !== 'warning') throw new ExitError(Exit.INVALID, '--fail-on must be error or warning');
      let glob: RegExp | undefined;
      try {
        glob = flags.glob ? new RegExp(flags.glob) : undefined;
      } catch (e) {
        throw new ExitError(Exit.INVALID, `--glob: ${(e as Error).message}`);
      }
      const { policy, text: policyText } = readPolicy(flags.policy, io);
      const { dirs, client, sourcesFor, locks } = fleetSources(flags, io);
      const dirStable = new Map<string, string>();
      if (dirs) {
        const byRef = new Map<string, string[]>();
        for (const e of dirs.list()) byRef.set(e.ref, [...(byRef.get(e.ref) ?? []), e.version]);
        for (const [ref, versions] of byRef) {
          const s = highestStable(versions);
          if (s) dirStable.set(ref, s);
        }
      }
      const stableOf = async (ref: string) => {
        if (client) {
          try {
            const r = await client.request<{ results: { ok: boolean; version?: string }[] }>('POST', '/api/v1/resolve', {
              requests: [{ ref, selector: '' }],
            });
            if (r.body.results[0]?.ok) return r.body.results[0].version;
          } catch {
            // fall back to the folders
          }
        }
        return dirStable.get(ref);
      };
      const onProgress = progressBar(io.stderr);
      const found = findFleet(paths, cwd, flags.exclude, !!flags.allowEmpty, glob);
      const workers = flags.workers === undefined ? undefined : Number(flags.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 1))
        throw new ExitError(Exit.INVALID, `--workers must be a positive whole number, not ${flags.workers}`);
      const report =
        (await auditInWorkers({
          found,
          policyFile: flags.policy,
          policyText,
          flags,
          io,
          stableOf,
          onProgress,
          ...(workers ? { workers } : {}),
        })) ??
        (await runAudit({ paths: [], found, policy, sourcesFor, locks, stableOf, baseDir: cwd, onProgress, strict: !!flags.strict }));
      const text = formatReport(report, policy, format);
      if (flags.output) writeOutput(cwd, flags.output, text);
      else io.stdout.write(text);
      const failing = report.summary.errors + report.summary.failedToCompile + (flags.failOn === 'warning' ? report.summary.warnings : 0);
      if (failing > 0) throw new ExitError(Exit.FAILURE);
    });

  program
    .command('impact')
    .description('what a candidate template version would change in every pipeline that uses the template, before publishing it')
    .argument('<ref>', 'template reference, e.g. account.redis_service')
    .argument('<paths...>', 'pipeline files or folders')
    .requiredOption('--candidate <file>', 'the candidate template file')
    .option('--policy <file>', 'also report policy violations the candidate introduces')
    .option('--all', 'use the candidate for every use, not only where the selector accepts its version')
    .option('-t, --templates <dir>', 'template folder (repeatable)', collect, [])
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--format <format>', 'table, json or markdown', 'table')
    .option('--exclude <glob>', 'leave out paths matching this glob (repeatable)', collect, [])
    .option(
      '--fail-on <severity>',
      'error or warning: which new policy violations make the exit code 1 (a broken consumer always does)',
      'error',
    )
    .option('--allow-empty', 'exit 0 when no pipeline is found (default: exit 2)')
    .action(
      async (
        ref: string,
        paths: string[],
        flags: {
          candidate: string;
          policy?: string;
          all?: boolean;
          templates: string[];
          registry?: string;
          token?: string;
          format: string;
          exclude: string[];
          failOn: string;
          allowEmpty?: boolean;
        },
      ) => {
        if (!['table', 'json', 'markdown'].includes(flags.format))
          throw new ExitError(Exit.INVALID, '--format must be table, json or markdown');
        if (flags.failOn !== 'error' && flags.failOn !== 'warning') throw new ExitError(Exit.INVALID, '--fail-on must be error or warning');
        const found = findFleet(paths, cwd, flags.exclude, !!flags.allowEmpty, undefined);
        const candidate = readCandidate(ref, flags.candidate, io);
        const policy = flags.policy ? readPolicy(flags.policy, io).policy : undefined;
        const { sourcesFor, locks } = fleetSources(flags, io);
        // A lock that cannot be read leaves its pipelines' consumers unknown: exit 2, naming it.
        for (const f of found.files) {
          try {
            locks.forPipeline(f);
          } catch (e) {
            throw new ExitError(Exit.INVALID, (e as Error).message);
          }
        }
        const report = await runImpact({
          candidate,
          paths: [],
          found,
          sourcesFor,
          locks,
          ...(policy ? { policy } : {}),
          all: !!flags.all,
          baseDir: cwd,
          onProgress: progressBar(io.stderr),
        });
        io.stdout.write(formatImpact(report, flags.format as 'table' | 'json' | 'markdown'));
        if (report.broken + report.newErrors + (flags.failOn === 'warning' ? report.newWarnings : 0) > 0) throw new ExitError(Exit.FAILURE);
      },
    );
}

/**
 * The pipelines a fleet command reads: every path must exist (exit 2 naming it), and finding
 * none at all is exit 2 unless `allowEmpty` (a CI gate must not pass on an empty fleet).
 */
function findFleet(paths: string[], cwd: string, exclude: string[], allowEmpty: boolean, glob: RegExp | undefined): FoundPipelines {
  for (const p of paths) if (!existsSync(resolve(cwd, p))) throw new ExitError(Exit.INVALID, `${p}: no such file or folder`);
  const found = findPipelines(
    paths.map((p) => resolve(cwd, p)),
    glob,
    excludeGlobs(exclude),
  );
  // A file that cannot be read might be a pipeline: the gate cannot vouch for it.
  const unreadable = found.skipped.filter((s) => s.reason.startsWith('unreadable'));
  if (unreadable.length) throw new ExitError(Exit.INVALID, unreadable.map((s) => `${displayPath(s.file, cwd)}: ${s.reason}`).join('\n'));
  if (found.files.length === 0 && !allowEmpty)
    throw new ExitError(
      Exit.INVALID,
      `no pipeline found under ${paths.join(', ')} (a YAML file with a pipeline: root; --allow-empty to accept an empty fleet)`,
    );
  return found;
}

/** The candidate file as a resolved template; exit 2 unless it is one valid template for `ref`. */
function readCandidate(ref: string, file: string, io: CliIO): ResolvedTemplate {
  const path = resolve(io.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ExitError(
      Exit.INVALID,
      `--candidate: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const bag = new DiagnosticBag();
  const docs = readYaml(file, text, sourcePositions, bag);
  const root = docs[0]?.value as { template?: Record<string, unknown> } | undefined;
  if (!bag.hasErrors && (!root || docs.length !== 1 || !root.template))
    bag.error(Codes.NOT_A_DOCUMENT, 'the candidate must be one document with a template: root', { file, line: 1, column: 1 });
  if (!bag.hasErrors) checkSchema('template', root, file, bag);
  if (bag.hasErrors) {
    for (const d of bag.items) io.stderr.write(formatDiagnostic(d) + '\n');
    throw new ExitError(Exit.INVALID, 'the candidate is not a valid template');
  }
  const t = root!.template!;
  const actual = refOfTemplate(t as { identifier: string });
  if (actual !== ref) throw new ExitError(Exit.INVALID, `the candidate is ${actual}, not ${ref}`);
  return { ref, version: String(t['versionLabel']), digest: digestOf(root), file, value: root };
}
