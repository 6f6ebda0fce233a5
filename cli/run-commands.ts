/**
 * `run` (compile when given a pipeline, check when given a plan, then execute) and `gc`.
 */
import { lstatSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { Codes, compile, parseDuration } from '../compiler/index.js';
import type { RunReport, StepResult } from '../runtime/index.js';
import type { Project } from '../runtime/index.js';
import { imageOf, isExecuted, validator, type Plan } from '../schemas/index.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { buildSources } from './sources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface RunFlags {
  templates: string[];
  inputs: string[];
  set: string[];
  registry?: string;
  token?: string;
  frozenLockfile?: boolean;
  allowSunset?: boolean;
  backend: string;
  workspace?: string;
  concurrency: string;
  grace: string;
  report?: string;
  secretsFile?: string;
  quiet?: boolean;
  home: string;
  dockerNetwork?: string;
  skipUnsupported?: boolean;
}

/** Reads a plan file when `file` is one: checked against plan.schema.json (exit 2 with the errors). */
function readPlanFile(file: string, shown: string): Plan | undefined {
  if (!file.endsWith('.json')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ExitError(
      Exit.INVALID,
      `${shown}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(e as Error).message}`}`,
    );
  }
  const v = validator('plan');
  if (!v(data)) {
    const lines = (v.errors ?? [])
      .slice(0, 20)
      .map((e) => `${shown}: error ${Codes.SCHEMA} plan${e.instancePath || ''}: ${e.message ?? e.keyword}`);
    throw new ExitError(Exit.INVALID, `not a valid plan:\n${lines.join('\n')}`);
  }
  if ((data as Plan).partial)
    throw new ExitError(
      Exit.INVALID,
      `${shown} was compiled with --partial: it holds placeholders (open runtime inputs, templates no source had) and cannot run; compile it without --partial`,
    );
  return data as Plan;
}

/** The plan to run, from a plan file or by compiling a pipeline. */
export async function planFor(
  target: string,
  flags: Omit<RunFlags, 'backend' | 'concurrency' | 'grace' | 'home'>,
  io: CliIO,
): Promise<Plan> {
  const cwd = io.cwd ?? process.cwd();
  const file = resolve(cwd, target);
  const fromFile = readPlanFile(file, target);
  if (fromFile) return fromFile;
  const src = buildSources(flags, file, io);
  const result = await compile({
    file,
    baseDir: cwd,
    sources: src.sources,
    inputs: flags.inputs.map((f) => ({ file: resolve(cwd, f) })),
    sets: flags.set,
    allowSunset: !!flags.allowSunset,
  });
  printDiagnostics(io, result.diagnostics);
  if (!result.ok || !result.plan) throw new ExitError(Exit.INVALID, `${target} does not compile`);
  src.saveLock();
  if (result.plans.length > 1)
    io.stderr.write(
      `pipewright: ${target} holds ${result.plans.length} pipelines; running the first (${result.plan.pipeline.identifier})\n`,
    );
  return result.plan;
}

/** Steps this runtime cannot execute with the chosen backend, as one message per reason. */
export function unsupported(plan: Plan, backend: string, skipUnsupported = false): string[] {
  const out: string[] = [];
  const external = plan.steps.filter((s) => s.kind === 'external');
  if (external.length && !skipUnsupported)
    out.push(
      `unsupported step types (the runtime executes Run, Background, Plugin and services; --skip-unsupported skips them): ${external.map((s) => `${s.id} (${s.type})`).join(', ')}`,
    );
  const images = plan.steps.filter(isExecuted).filter((s) => s.image);
  if (images.length && backend === 'host') out.push(`--backend host cannot run steps with an image: ${images.map((s) => s.id).join(', ')}`);
  else if (images.length && backend === 'none')
    out.push(
      `steps with an image need a Docker engine, and none answers (set PIPEWRIGHT_DOCKER to another docker-compatible CLI): ${images.map((s) => s.id).join(', ')}`,
    );
  return out;
}

/** What is at `path`: a folder (symlinks followed), nothing, or something else (a file, a dangling symlink...). */
function folderState(path: string): 'folder' | 'missing' | 'other' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'other';
  } catch {
    try {
      lstatSync(path);
      return 'other';
    } catch {
      return 'missing';
    }
  }
}

/**
 * `--workspace` must be an existing folder: a typo would otherwise run green in a fresh, empty
 * one. `--home` is created when missing, but it must not be a file, nor lie below one. Exit 2.
 */
function checkFolders(flags: Pick<RunFlags, 'workspace' | 'home'>, cwd: string): void {
  if (flags.workspace !== undefined) {
    const state = folderState(resolve(cwd, flags.workspace));
    if (state !== 'folder')
      throw new ExitError(
        Exit.INVALID,
        `--workspace ${flags.workspace}: ${state === 'missing' ? 'no such folder (--workspace runs in place in an existing folder)' : 'not a folder'}`,
      );
  }
  const home = resolve(cwd, flags.home);
  let at = home;
  let state = folderState(at);
  for (; state === 'missing' && dirname(at) !== at; state = folderState(at)) at = dirname(at);
  if (state === 'other')
    throw new ExitError(
      Exit.INVALID,
      `--home ${flags.home}: not a folder${at === home ? '' : ` (${relative(cwd, at) || at} is not a folder)`}`,
    );
}

/**
 * Lists the project the run's workspace is a copy of: the git repository holding `target` (a
 * pipeline or a plan file), else `target`'s folder; never `home`. Over the limits: exit 2.
 */
async function projectOf(target: string, home: string, io: CliIO): Promise<Project> {
  const { listProject, WorkspaceError } = await import('../runtime/index.js');
  try {
    const project = listProject(dirname(target), { skip: [home] });
    if (project.note) io.stderr.write(`pipewright: copying the folder ${project.root}, not a git listing (${project.note})\n`);
    return project;
  } catch (e) {
    if (e instanceof WorkspaceError) throw new ExitError(Exit.INVALID, e.message);
    throw e;
  }
}

/** Fills the run's fresh workspace with the project's copy; on failure the run's folder goes. */
async function seedWorkspace(project: Project, runDir: string, workspace: string, io: CliIO, quiet: boolean): Promise<void> {
  const { copyProject, humanSize, WorkspaceError } = await import('../runtime/index.js');
  try {
    const took = await copyProject(project, workspace);
    if (!quiet)
      io.stdout.write(
        `pipewright: workspace ${workspace}: a copy of ${project.root} (${project.files.length} ${project.files.length === 1 ? 'file' : 'files'}, ${humanSize(project.bytes)}, ${project.source === 'git' ? 'git ls-files' : 'the folder'}) made in ${took} ms\n`,
      );
  } catch (e) {
    rmSync(runDir, { recursive: true, force: true });
    if (e instanceof WorkspaceError) throw new ExitError(Exit.INVALID, `${e.message}; run in place with --workspace . instead`);
    throw e;
  }
}

/**
 * Why each failed step failed, printed once: with live output that already happened (the step's
 * lines, then `pipewright: <why>` in its stream), so only its log is named here; with --quiet,
 * the error itself (with a service's last log lines).
 */
function failureLines(steps: StepResult[], quiet: boolean): string {
  return steps
    .filter((s) => s.status === 'failed' && s.error && !s.failureIgnored)
    .map((s) => (quiet ? `${s.id}: ${s.error}\n` : `${s.id} failed${s.log ? ` (log: ${s.log})` : ''}\n`))
    .join('');
}

function ms(flag: string, text: string): number {
  const v = parseDuration(text);
  if (v === null || v === undefined) throw new ExitError(Exit.INVALID, `${flag} must be a duration like 10s, not ${text}`);
  return v;
}

export function registerRunCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  program
    .command('run')
    .description('execute a pipeline (compiled first) or a plan file, and print a summary')
    .argument('<target>', 'pipeline YAML, or a plan .json from compile -o')
    .option('-t, --templates <dir>', 'template folder (repeatable)', collect, [])
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option(
      '--frozen-lockfile',
      'use only the versions pipewright.lock holds (from the cache, or fetched by exact version from the registry); never changes the lock',
    )
    .option('--allow-sunset', 'allow template versions past their sunset date')
    .option('--inputs <file>', 'input set (repeatable)', collect, [])
    .option('--set <path=value>', 'fill one runtime input (repeatable)', collect, [])
    .option('--backend <backend>', 'auto, host or docker', 'auto')
    .option('--workspace <dir>', "run the steps in place in this folder (default: a copy of the project in the run's folder)")
    .option('--concurrency <n>', 'most steps running at once in a stage', '8')
    .option('--grace <duration>', 'time between SIGTERM and SIGKILL at teardown', '10s')
    .option('--report <file>', 'also write report.json here')
    .option('--secrets-file <file>', 'secrets for <+secrets.getValue()>: YAML mapping or NAME=value lines')
    .option('--quiet', 'no live step output, only the summary')
    .option('--home <dir>', 'folder for runs, logs and state', '.pipewright')
    .option('--skip-unsupported', 'skip step types the runtime does not execute (reported as skipped)')
    .option('--docker-network <name>', 'network the stage namespaces attach to (default bridge, none when the engine has no bridge)')
    .action(async (target: string, flags: RunFlags) => {
      const { dockerBinary, engineAvailable, readSecretsFile, envSecrets, Runner, summaryTable } = await import('../runtime/index.js');
      if (!['auto', 'host', 'docker'].includes(flags.backend))
        throw new ExitError(Exit.INVALID, `--backend must be auto, host or docker, not ${flags.backend}`);
      const concurrency = Number(flags.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new ExitError(Exit.INVALID, `--concurrency must be a positive whole number, not ${flags.concurrency}`);
      const graceMs = ms('--grace', flags.grace);
      checkFolders(flags, cwd);
      let secrets: Record<string, string> = envSecrets(io.env ?? process.env);
      if (flags.secretsFile) {
        try {
          secrets = { ...secrets, ...readSecretsFile(resolve(cwd, flags.secretsFile)) };
        } catch (e) {
          throw new ExitError(Exit.INVALID, `--secrets-file: ${(e as Error).message}`);
        }
      }
      const plan = await planFor(target, flags, io);
      const bin = dockerBinary(io.env ?? process.env);
      const needsDocker = flags.backend === 'docker' || (flags.backend === 'auto' && plan.steps.some((s) => imageOf(s)));
      const haveDocker = needsDocker && (await engineAvailable(bin));
      const problems = unsupported(plan, needsDocker && !haveDocker ? 'none' : flags.backend, !!flags.skipUnsupported);
      if (problems.length) throw new ExitError(Exit.INVALID, problems.join('\n'));
      const home = resolve(cwd, flags.home);
      // Without --workspace, steps run in a copy of the project made inside the run's folder.
      const project = flags.workspace ? undefined : await projectOf(resolve(cwd, target), home, io);
      const runner = new Runner(plan, {
        home,
        ...(flags.workspace ? { workspace: resolve(cwd, flags.workspace) } : {}),
        concurrency,
        graceMs,
        secrets,
        ...(flags.quiet ? {} : { console: io.stdout }),
        ...(haveDocker ? { docker: { bin, ...(flags.dockerNetwork ? { network: flags.dockerNetwork } : {}) } } : {}),
      });
      if (project) await seedWorkspace(project, runner.runDir, runner.workspace, io, !!flags.quiet);
      const onSignal = (sig: NodeJS.Signals) => {
        io.stderr.write(`pipewright: ${sig}: stopping every step and service of the run\n`);
        runner.abort(sig);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let report: RunReport;
      try {
        report = await runner.run();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (flags.report) {
        writeFileSync(resolve(cwd, flags.report), JSON.stringify(report, null, 2) + '\n');
      }
      io.stdout.write('\n' + summaryTable(report));
      io.stderr.write(failureLines(report.steps, !!flags.quiet));
      io.stdout.write(`report: ${resolve(runner.runDir, 'report.json')}\n`);
      if (runner.abortSignal) throw new ExitError(runner.abortSignal === 'SIGINT' ? Exit.SIGINT : Exit.SIGTERM);
      if (report.status !== 'success') throw new ExitError(Exit.FAILURE);
    });

  program
    .command('gc')
    .description('stop processes left behind by runners that were killed')
    .option('--home <dir>', 'folder for runs, logs and state', '.pipewright')
    .option('--grace <duration>', 'time between SIGTERM and SIGKILL', '5s')
    .option('--keep <n>', 'keep the newest N runs in <home>/runs (older ones are removed)', '50')
    .option('--older-than <duration>', 'also remove runs older than this (e.g. 7d)')
    .option('--json', 'print JSON')
    .action(async (flags: { home: string; grace: string; json?: boolean; keep: string; olderThan?: string }) => {
      const { dockerBinary, engineAvailable, gcContainers, gcRuns, pruneRuns } = await import('../runtime/index.js');
      const keep = Number(flags.keep);
      if (!Number.isInteger(keep) || keep < 0) throw new ExitError(Exit.INVALID, `--keep must be a whole number, not ${flags.keep}`);
      const olderThanMs = flags.olderThan !== undefined ? ms('--older-than', flags.olderThan) : undefined;
      const results = await gcRuns(resolve(cwd, flags.home, 'runs'), ms('--grace', flags.grace));
      // Leftover processes first (their runs' folders are pruned only afterwards).
      const pruned = pruneRuns(resolve(cwd, flags.home, 'runs'), { keep, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
      const bin = dockerBinary(io.env ?? process.env);
      const containers = (await engineAvailable(bin)) ? await gcContainers(bin) : [];
      if (flags.json) return void io.stdout.write(JSON.stringify({ processes: results, containers, pruned }, null, 2) + '\n');
      for (const r of results)
        for (const s of r.stopped)
          io.stdout.write(`run ${r.runId}: stopped ${s.step} (process group ${s.pgid}, ${s.pids.length} processes)\n`);
      for (const r of results)
        for (const e of r.escaped) io.stdout.write(`run ${r.runId}: stopped ${e.name} (pid ${e.pid}), which escaped ${e.step}\n`);
      for (const c of containers) io.stdout.write(`run ${c.runId}: removed ${c.containers.length} containers\n`);
      io.stdout.write(
        `${results.reduce((n, r) => n + r.stopped.length, 0)} process groups stopped, ${containers.reduce((n, c) => n + c.containers.length, 0)} containers removed, ${pruned.length} old runs removed\n`,
      );
    });
}
