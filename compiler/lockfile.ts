/**
 * `pipewright.lock`: which version and digest each (reference, selector) of a pipeline
 * resolved to. With a lock, compiles are reproducible: locked entries are used as they are,
 * from the content cache (offline) or fetched by exact version; `--frozen-lockfile` never
 * changes the lock and fails when the pipeline asks for something it does not hold. A digest
 * that differs between lock, cache and registry is a tamper error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalPretty, digestOf } from './canonical.js';
import type { ContentCache } from './content-cache.js';
import { DiagnosticBag } from './diagnostics.js';
import type { ResolveOutcome, ResolveRequest, ResolvedTemplate, TemplateSource } from './source.js';
import { readYaml, sourcePositions } from './yaml-reader.js';

export const LOCKFILE_NAME = 'pipewright.lock';
export const LOCKFILE_VERSION = 1;

export interface LockEntry {
  ref: string;
  selector: string;
  version: string;
  digest: string;
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  templates: Record<string, LockEntry>;
}

export const lockKey = (ref: string, selector: string) => `${ref}@${selector}`;

/** The lock beside a pipeline file. */
export function lockPathFor(pipelineFile: string): string {
  return join(dirname(pipelineFile), LOCKFILE_NAME);
}

/** Reads a lockfile; undefined when absent. Throws an Error with a readable message when malformed. */
export function readLockfile(path: string): Lockfile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const d = data as Partial<Lockfile>;
  if (!d || d.lockfileVersion !== LOCKFILE_VERSION || !d.templates || typeof d.templates !== 'object') {
    throw new Error(`${path}: not a pipewright lockfile of version ${LOCKFILE_VERSION}`);
  }
  for (const [k, e] of Object.entries(d.templates)) {
    if (!e || typeof e.ref !== 'string' || typeof e.version !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(String(e.digest)) || typeof e.selector !== 'string') {
      throw new Error(`${path}: entry ${k} is malformed`);
    }
  }
  return d as Lockfile;
}

/**
 * The lockfiles of a fleet, each read once: the pipelines of one folder share theirs. A
 * malformed lock is remembered as its error and thrown again for every pipeline beside it.
 */
export class LockfileReader {
  private readonly seen = new Map<string, Lockfile | Error | undefined>();

  /** The lock beside `pipelineFile`, as `readLockfile` reads it. */
  forPipeline(pipelineFile: string): Lockfile | undefined {
    const path = lockPathFor(pipelineFile);
    let lock = this.seen.get(path);
    if (lock === undefined && !this.seen.has(path)) {
      try {
        lock = readLockfile(path);
      } catch (e) {
        lock = e as Error;
      }
      this.seen.set(path, lock);
    }
    if (lock instanceof Error) throw lock;
    return lock;
  }
}

/** Writes a lockfile (canonical JSON); returns false when the content did not change. */
export function writeLockfile(path: string, lock: Lockfile): boolean {
  const text = canonicalPretty(lock) + '\n';
  let before: string | undefined;
  try {
    before = readFileSync(path, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === text) return false;
  writeFileSync(path, text);
  return true;
}

/** Parses cached or fetched YAML of a version and checks it against the expected digest. */
export function verifiedTemplate(ref: string, version: string, digest: string, text: string, file: string): ResolvedTemplate | { tampered: string } {
  const key = `${ref}\u0000${version}\u0000${digest}\u0000${file}`;
  const known = verified.get(text)?.get(key);
  if (known) return known;
  const [doc] = readYaml(file, text, sourcePositions, new DiagnosticBag());
  const actual = doc ? digestOf(doc.value) : 'unparseable';
  if (actual !== digest) return { tampered: `${ref}@${version}: content digest ${actual} does not match ${digest}` };
  const t: ResolvedTemplate = { ref, version, digest, file, value: doc!.value };
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(text, (verified.get(text) ?? new Map()).set(key, t));
  return t;
}

/**
 * Versions already parsed and verified, by their exact text: a fleet command meets the same
 * versions in every pipeline (through each pipeline's lock or the registry), and parsing and
 * hashing them again each time cost more than the rest of the compile. Keyed by the text
 * itself, so different content never hits an entry; bounded, oldest first out.
 */
const verified = new Map<string, Map<string, ResolvedTemplate>>();
const MAX_VERIFIED = 500;

export interface LockedSourceOptions {
  lock: Lockfile | undefined;
  cache: ContentCache;
  /** Where unlocked references (and locked ones missing from the cache) are resolved. */
  inner?: TemplateSource;
  frozen?: boolean;
}

/**
 * A source that answers from the lock first: online (an inner source and not frozen) by
 * asking for the locked exact versions, offline from the content cache. Every entry it used is in `used`, which the
 * caller writes back as the new lock (entries the pipeline no longer uses drop out).
 */
export class LockedSource implements TemplateSource {
  readonly name = 'lockfile';
  readonly used = new Map<string, LockEntry>();

  constructor(private readonly opts: LockedSourceOptions) {}

  async resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    const out: (ResolveOutcome | undefined)[] = new Array(requests.length);
    const toInner: { i: number; req: ResolveRequest; locked?: LockEntry }[] = [];
    const online = !!this.opts.inner && !this.opts.frozen;
    requests.forEach((req, i) => {
      const key = lockKey(req.ref, req.selector);
      const locked = this.opts.lock?.templates[key];
      if (!locked) {
        if (this.opts.frozen) out[i] = { ok: false, code: 'unavailable', message: `${req.ref}@${req.selector || 'stable'} is not in ${LOCKFILE_NAME} (--frozen-lockfile); run pipewright lock` };
        else toInner.push({ i, req });
        return;
      }
      // Online, locked entries are asked for by exact version in the same batch: the registry
      // confirms the digest and reports deprecations. Offline, the cache answers.
      if (online) {
        toInner.push({ i, req: { ...req, selector: locked.version }, locked });
        return;
      }
      const text = this.opts.cache.get(locked.digest);
      if (text === undefined) {
        out[i] = { ok: false, code: 'unavailable', message: `${locked.ref}@${locked.version} (${locked.digest}) is not in the template cache; run once without --frozen-lockfile` };
        return;
      }
      const t = verifiedTemplate(locked.ref, locked.version, locked.digest, text, `registry:${locked.ref}@${locked.version}`);
      if ('tampered' in t) {
        out[i] = { ok: false, code: 'invalid', message: `tampered cache entry: ${t.tampered}` };
        return;
      }
      this.used.set(key, locked);
      out[i] = { ok: true, template: t };
    });
    if (toInner.length && this.opts.inner) {
      const answers = await this.opts.inner.resolve(toInner.map((x) => x.req));
      toInner.forEach((x, j) => {
        const a = answers[j]!;
        const key = lockKey(requests[x.i]!.ref, requests[x.i]!.selector);
        if (a.ok && x.locked && a.template.digest !== x.locked.digest) {
          out[x.i] = { ok: false, code: 'invalid', message: `tamper: the registry serves ${a.template.ref}@${a.template.version} as ${a.template.digest}, ${LOCKFILE_NAME} says ${x.locked.digest}` };
          return;
        }
        if (a.ok) this.used.set(key, { ref: a.template.ref, selector: requests[x.i]!.selector, version: a.template.version, digest: a.template.digest });
        out[x.i] = a;
      });
    }
    return out.map((o, i) => o ?? { ok: false, code: 'not-found', message: `template ${requests[i]!.ref} not found` });
  }

  /** The lock to write after a successful compile. */
  nextLock(): Lockfile {
    const templates: Record<string, LockEntry> = {};
    for (const [k, e] of [...this.used].sort(([a], [b]) => (a < b ? -1 : 1))) templates[k] = e;
    return { lockfileVersion: LOCKFILE_VERSION, templates };
  }
}
