/**
 * What the `template` commands share to talk to a registry: the client from --registry and
 * --token (or the environment), REF@VERSION arguments, and registry errors turned into a
 * message and an exit code.
 */
import type { Command } from 'commander';
import { formatDiagnostic, type Diagnostic } from '../compiler/index.js';
import { RegistryClient, RegistryError } from '../client/index.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { registryFlags } from './sources.js';

export interface ApiFlags {
  registry?: string;
  token?: string;
  json?: boolean;
}

export function clientFor(flags: ApiFlags, io: CliIO): RegistryClient {
  const { url, token } = registryFlags(flags, io);
  if (!url) throw new ExitError(Exit.INVALID, 'no registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
  return new RegistryClient({ url, ...(token ? { token } : {}) });
}

/** `ref@version` → parts. */
export function refAt(text: string): { ref: string; version: string } {
  const i = text.lastIndexOf('@');
  if (i <= 0 || i === text.length - 1) throw new ExitError(Exit.INVALID, `expected REF@VERSION, got ${text}`);
  return { ref: text.slice(0, i), version: text.slice(i + 1) };
}

export const enc = encodeURIComponent;

/**
 * A registry error's located problems, printed on stderr, and its message without the first
 * of them (the registry repeats it there for clients that read only the message): each
 * problem is printed once.
 */
export function reportRegistryError(io: CliIO, e: RegistryError, rename: (file: string) => string = (f) => f): string {
  const details = Array.isArray(e.details) ? (e.details as Diagnostic[]) : [];
  for (const d of details) io.stderr.write(formatDiagnostic({ ...d, file: rename(d.file) }) + '\n');
  const first = details[0] ? `: ${formatDiagnostic(details[0])}` : '';
  return first && e.message.endsWith(first) ? `${e.message.slice(0, -first.length)} (see above)` : e.message;
}

/** A registry error's exit code: unreachable or failing (5xx) is 1 (try again), a refusal 2. */
export function exitCodeOf(e: RegistryError): number {
  return e.status === 0 || e.status >= 500 ? Exit.FAILURE : Exit.INVALID;
}

/** Runs an API action, turning registry errors into a message and exit code. */
export async function api<T>(io: CliIO, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RegistryError) throw new ExitError(exitCodeOf(e), reportRegistryError(io, e));
    throw e;
  }
}

/** Adds --registry, --token and --json. */
export function withApi(cmd: Command): Command {
  return cmd
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'API token (default: PIPEWRIGHT_TOKEN)')
    .option('--json', 'print JSON');
}
