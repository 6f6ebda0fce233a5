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

export async function runCli(argv: string[], cwd: string, opts: { stderrIsTTY?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), ...(opts.stderrIsTTY ? { isTTY: true } : {}) },
    cwd,
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
