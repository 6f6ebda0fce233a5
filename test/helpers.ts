/**
 * Test helpers: run the CLI in-process with captured output, and make temp folders.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], cwd: string, opts: { stderrIsTTY?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), ...(opts.stderrIsTTY ? { isTTY: true } : {}) },
    cwd,
    ...(opts.env ? { env: opts.env } : {}),
  });
  return { code, stdout, stderr };
}

/** A fresh temp folder holding `files` (relative name → content). */
export function tempDir(files: Record<string, string> = {}, prefix = 'pw-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Root of the repository (where package.json is). */
export const REPO = join(dirname(new URL(import.meta.url).pathname), '..');

/**
 * A one-stage CI pipeline (`t`, stage `s`) around `steps` (step list items, indented for
 * `steps:`); `head` stands before `stages:` (variables, properties, a strategy).
 */
export function onePipeline(steps: string, head = ''): string {
  return `pipeline:\n  name: t\n  identifier: t\n${head}  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;
}

/** A step list item using template `account.t` version 1.0.0 with typed `inputs` (flow mapping text). */
export const templateStep = (inputs: string) =>
  `              - step:\n                  name: a\n                  identifier: a\n                  template:\n                    templateRef: account.t\n                    versionLabel: "1.0.0"\n                    inputs: ${inputs}\n`;

/** A Run step list item echoing the pipeline variable `x`. */
export const echoVariableStep =
  '              - step: {type: Run, name: r, identifier: r, spec: {command: echo <+pipeline.variables.x>}}\n';

/** A Step template `id@version` declaring `inputs` (YAML lines indented under `inputs:`) and running `command`. */
export const inputTemplate = (id: string, version: string, inputs: string, command: string) =>
  `template:\n  name: ${id}\n  identifier: ${id}\n  versionLabel: "${version}"\n  type: Step\n  inputs:\n${inputs}\n  spec:\n    type: Run\n    spec:\n      shell: Sh\n      command: ${JSON.stringify(command)}\n`;
