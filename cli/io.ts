/**
 * Where the CLI writes. Injected so tests can run commands in-process and read the output.
 */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Writer;
  stderr: Writer;
  /** Working directory for relative paths (default: process.cwd()). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Exit codes of every command. */
export const Exit = { OK: 0, FAILURE: 1, INVALID: 2, SIGINT: 130, SIGTERM: 143 } as const;

/** Thrown by a command to end with a code after it printed what it had to say. */
export class ExitError extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

/** The installed package's root folder (where package.json and examples/ are). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
