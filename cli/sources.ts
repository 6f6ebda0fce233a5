/**
 * Building the template sources a command compiles against: `--templates` folders first
 * (local copies win), then the registry (`--registry` / PIPEWRIGHT_REGISTRY) behind the
 * pipeline's lockfile.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ContentCache,
  defaultCacheDir,
  DirectorySource,
  LockedSource,
  LockfileError,
  lockPathFor,
  readLockfile,
  updateLockfile,
  type Lockfile,
  type TemplateSource,
  type UpdateOptions,
} from '../compiler/index.js';
import { RegistryClient, RegistrySource } from '../client/index.js';
import { checkTemplateFolders, Exit, ExitError, type CliIO } from './io.js';

export interface SourceFlags {
  templates?: string[];
  registry?: string;
  token?: string;
  frozenLockfile?: boolean;
  lockfile?: string;
}

export interface Sources {
  sources: TemplateSource[];
  locked?: LockedSource;
  lockPath?: string;
  client?: RegistryClient;
  /**
   * Merges what the compile used into the lock after a successful compile (never with
   * --frozen-lockfile); the entries of the folder's other pipelines stay.
   */
  saveLock(): string | undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Registry URL and token from flags, then the environment; a URL that is not http(s) is exit 2. */
export function registryFlags(flags: { registry?: string; token?: string }, io: CliIO): { url?: string; token?: string } {
  const env = io.env ?? process.env;
  const url = flags.registry ?? env['PIPEWRIGHT_REGISTRY'];
  const token = flags.token ?? env['PIPEWRIGHT_TOKEN'];
  if (url && !isHttpUrl(url))
    throw new ExitError(
      Exit.INVALID,
      `${flags.registry !== undefined ? '--registry ' : 'PIPEWRIGHT_REGISTRY='}${url}: not an http(s) URL (e.g. https://templates.example.com)`,
    );
  return { ...(url ? { url } : {}), ...(token ? { token } : {}) };
}

export function buildSources(
  flags: SourceFlags,
  pipelineFile: string | undefined,
  io: CliIO,
  opts: { ignoreLock?: boolean } = {},
): Sources {
  const cwd = io.cwd ?? process.cwd();
  const env = io.env ?? process.env;
  const sources: TemplateSource[] = [];
  const folders = checkTemplateFolders(flags.templates, cwd);
  if (folders.length) sources.push(new DirectorySource(folders, { baseDir: cwd }));
  const { url, token } = registryFlags(flags, io);
  const lockPath = flags.lockfile ? resolve(cwd, flags.lockfile) : pipelineFile ? lockPathFor(pipelineFile) : undefined;
  let lock;
  if (lockPath && !opts.ignoreLock) {
    try {
      lock = readLockfile(lockPath);
    } catch (e) {
      throw new ExitError(Exit.INVALID, (e as Error).message);
    }
  }
  if (flags.frozenLockfile && !lock)
    throw new ExitError(Exit.INVALID, `--frozen-lockfile needs ${lockPath ?? 'a lockfile'}, which does not exist`);
  const client = url ? new RegistryClient({ url, ...(token ? { token } : {}) }) : undefined;
  const cache = new ContentCache(defaultCacheDir(env));
  let locked: LockedSource | undefined;
  if (client || lock) {
    // Frozen too: the registry serves exactly the locked versions (digests, deprecations and
    // yanks checked there); LockedSource never asks it to resolve anything new.
    const inner = client ? new RegistrySource(client, cache) : undefined;
    locked = new LockedSource({ lock, cache, ...(inner ? { inner } : {}), frozen: !!flags.frozenLockfile });
    sources.push(locked);
  }
  return {
    sources,
    ...(locked ? { locked } : {}),
    ...(lockPath ? { lockPath } : {}),
    ...(client ? { client } : {}),
    saveLock() {
      if (!locked || !lockPath || flags.frozenLockfile || !client) return undefined;
      if (locked.used.size === 0 && !existsSync(lockPath)) return undefined;
      // Read again and merge under the lock's guard: another pipeline of the folder compiled
      // at the same moment (another process) keeps its entries.
      return updateLockfileOrExit(lockPath, (current) => locked.nextLock(current)) ? lockPath : undefined;
    },
  };
}

/**
 * The sources a template author checks against (`validate`, `template publish`): `--templates`
 * folders, then the registry when one is given. No lockfile: a template being written is not
 * a pipeline's build.
 */
export function authoringSources(
  flags: { templates?: string[]; registry?: string; token?: string },
  io: CliIO,
): Omit<Sources, 'saveLock' | 'locked' | 'lockPath'> {
  const cwd = io.cwd ?? process.cwd();
  const sources: TemplateSource[] = [];
  const folders = checkTemplateFolders(flags.templates, cwd);
  if (folders.length) sources.push(new DirectorySource(folders, { baseDir: cwd }));
  const { url, token } = registryFlags(flags, io);
  const client = url ? new RegistryClient({ url, ...(token ? { token } : {}) }) : undefined;
  if (client) sources.push(new RegistrySource(client, new ContentCache(defaultCacheDir(io.env ?? process.env))));
  return { sources, ...(client ? { client } : {}) };
}

/**
 * `updateLockfile` with its errors as the CLI's exit codes: a guard held too long is exit 1
 * (try again), anything else — malformed, a folder, not writable — exit 2 (with `hint` after
 * a malformed lock's message).
 */
export function updateLockfileOrExit(
  path: string,
  update: (current: Lockfile | undefined) => Lockfile,
  opts: UpdateOptions = {},
  hint?: string,
): boolean {
  try {
    return updateLockfile(path, update, opts);
  } catch (e) {
    if (!(e instanceof LockfileError)) throw e;
    if (e.kind === 'busy') throw new ExitError(Exit.FAILURE, e.message);
    throw new ExitError(Exit.INVALID, e.kind === 'malformed' && hint ? `${e.message} ${hint}` : e.message);
  }
}
