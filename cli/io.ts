/**
 * Where the CLI writes. Injected so tests can run commands in-process and read the output.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { existsSync, statSync, writeFileSync } from 'node:fs';
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
  constructor(
    readonly code: number,
    message = '',
  ) {
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

/**
 * `--templates` folders must exist: a typo would otherwise surface later as "not found", or
 * not at all when a lockfile and cache serve the compile (exit 2 at once, naming the folder).
 */
export function checkTemplateFolders(dirs: readonly string[] | undefined, cwd: string): string[] {
  const out: string[] = [];
  for (const d of dirs ?? []) {
    const full = resolvePath(cwd, d);
    let isDir = false;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      throw new ExitError(Exit.INVALID, `--templates ${d}: no such folder`);
    }
    if (!isDir) throw new ExitError(Exit.INVALID, `--templates ${d}: not a folder`);
    out.push(full);
  }
  return out;
}

/** Whether a path the user named is a folder (else a file); exit 2 naming it when it does not exist. */
export function isFolder(abs: string, shown: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    throw new ExitError(Exit.INVALID, `${shown}: no such file or folder`);
  }
}

/**
 * Writes a file the user named with `-o`: a folder that does not exist, a path that is a
 * folder or a file that may not be written is exit 2 naming it, not an internal error.
 */
export function writeOutput(cwd: string, shown: string, text: string): void {
  try {
    writeFileSync(resolvePath(cwd, shown), text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such folder'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'ENOTDIR'
              ? 'a part of the path is not a folder'
              : (e as Error).message;
    throw new ExitError(Exit.INVALID, `${shown}: cannot write: ${why}`);
  }
}
