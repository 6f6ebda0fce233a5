/**
 * A content-addressed disk cache of template versions: the YAML text of each version, stored
 * under its digest. Writes are atomic (temp file + rename), so a killed process never leaves
 * a half-written entry; readers verify the digest after parsing anyway.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `PIPEWRIGHT_CACHE`, else `$XDG_CACHE_HOME/pipewright`, else `~/.cache/pipewright`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['PIPEWRIGHT_CACHE']) return env['PIPEWRIGHT_CACHE'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'pipewright');
  return join(homedir(), '.cache', 'pipewright');
}

export class ContentCache {
  /** Texts this instance read or wrote: content-addressed, so they never change. */
  private readonly known = new Map<string, string>();

  constructor(readonly dir: string) {}

  private path(digest: string): string | undefined {
    const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
    return m ? join(this.dir, 'sha256', m[1]!.slice(0, 2), `${m[1]}.yaml`) : undefined;
  }

  /** The cached text for a digest, or undefined. */
  get(digest: string): string | undefined {
    const known = this.known.get(digest);
    if (known !== undefined) return known;
    const p = this.path(digest);
    if (!p) return undefined;
    try {
      const text = readFileSync(p, 'utf8');
      this.known.set(digest, text);
      return text;
    } catch {
      return undefined;
    }
  }

  /** Stores a version's text under its digest (once per instance: later calls are no-ops). */
  put(digest: string, text: string): void {
    if (this.known.get(digest) === text) return;
    const p = this.path(digest);
    if (!p) return;
    this.known.set(digest, text);
    mkdirSync(join(p, '..'), { recursive: true });
    const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, p);
  }
}
