/**
 * Template sources for commands over a fleet of pipelines (audit, impact, and the audit
 * workers): the `--templates` folders shared by all, then the registry behind each
 * pipeline's own lockfile.
 */
import {
  ContentCache,
  defaultCacheDir,
  DirectorySource,
  LockedSource,
  LockfileReader,
  lockPathFor,
  type TemplateSource,
} from '../compiler/index.js';
import { RegistryClient, RegistrySource } from '../client/index.js';
import { checkTemplateFolders, type CliIO } from './io.js';
import { registryFlags } from './sources.js';

export interface FleetFlags {
  templates: string[];
  registry?: string;
  token?: string;
  /** Each pipeline only from its lock (`audit --frozen-lockfile`). */
  frozenLockfile?: boolean;
}

/** Per-pipeline sources for fleet commands: shared folders, then the registry behind each pipeline's lock. */
export function fleetSources(flags: FleetFlags, io: CliIO) {
  const cwd = io.cwd ?? process.cwd();
  const folders = checkTemplateFolders(flags.templates, cwd);
  const dirs = folders.length ? new DirectorySource(folders, { baseDir: cwd }) : undefined;
  const { url, token } = registryFlags(flags, io);
  const client = url ? new RegistryClient({ url, ...(token ? { token } : {}) }) : undefined;
  const cache = new ContentCache(defaultCacheDir(io.env ?? process.env));
  const registry = client ? new RegistrySource(client, cache, { snapshot: true }) : undefined;
  const locks = new LockfileReader();
  const sourcesFor = (file: string): TemplateSource[] => {
    const out: TemplateSource[] = dirs ? [dirs] : [];
    // A lock that cannot be read throws: the pipeline's failure (located at the lock), never
    // a silent compile without it.
    const lock = locks.forPipeline(file);
    if (flags.frozenLockfile && !lock)
      throw new Error(`${lockPathFor(file)}: no lockfile beside the pipeline (--frozen-lockfile needs one; pipewright lock writes it)`);
    if (registry || lock)
      out.push(
        new LockedSource({ lock, cache, ...(registry ? { inner: registry } : {}), ...(flags.frozenLockfile ? { frozen: true } : {}) }),
      );
    return out;
  };
  return { dirs, client, sourcesFor, locks };
}
