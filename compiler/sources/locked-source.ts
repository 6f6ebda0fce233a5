/**
 * Resolving through `pipewright.lock`: locked entries are used as they are, from the content
 * cache (offline) or fetched by exact version; `--frozen-lockfile` never changes the lock and
 * fails when the pipeline asks for something it does not hold. A digest that differs between
 * lock, cache and registry is a tamper error.
 */
import { textOf } from '../text.js';
import { digestOf } from '../plan/canonical.js';
import type { ContentCache } from './content-cache.js';
import { DiagnosticBag } from '../diagnostics.js';
import { LOCKFILE_NAME, lockKey, mergeLock, type LockEntry, type Lockfile } from './lockfile.js';
import { refOfTemplate } from './source.js';
import { selectorAccepts } from './versions.js';
import type { ResolveOutcome, ResolveRequest, ResolvedTemplate, TemplateSource } from './source.js';
import { readYaml, sourcePositions } from '../harness-yaml.js';

/** Parses cached or fetched YAML of a version and checks it against the expected digest. */
export function verifiedTemplate(
  ref: string,
  version: string,
  digest: string,
  text: string,
  file: string,
): ResolvedTemplate | { tampered: string } {
  const key = `${ref}\u0000${version}\u0000${digest}\u0000${file}`;
  const known = verified.get(text)?.get(key);
  if (known) return known;
  const [doc] = readYaml(file, text, sourcePositions, new DiagnosticBag());
  const actual = doc ? digestOf(doc.value) : 'unparseable';
  if (actual !== digest) return { tampered: `${ref}@${version}: content digest ${actual} does not match ${digest}` };
  // The content names itself: another template's (or version's) content under this digest is
  // a substitution, however well its digest matches.
  const named = identityOf(doc!.value);
  if (named !== `${ref}@${version}`) return { tampered: `${ref}@${version}: the content (${digest}) is ${named}` };
  const t: ResolvedTemplate = { ref, version, digest, file, value: doc!.value };
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(text, (verified.get(text) ?? new Map<string, ResolvedTemplate>()).set(key, t));
  return t;
}

/** `ref@version` as a template document names itself, or what is wrong with it. */
function identityOf(value: unknown): string {
  const t = value && typeof value === 'object' ? (value as { template?: unknown }).template : undefined;
  if (!t || typeof t !== 'object' || typeof (t as { identifier?: unknown }).identifier !== 'string') return 'not a template';
  const version = (t as { versionLabel?: unknown }).versionLabel;
  return `${refOfTemplate(t as { identifier: string })}@${version === undefined ? '(no version)' : textOf(version)}`;
}

/**
 * Why a lock entry cannot serve the reference it is filed under, or undefined: it names
 * another template or selector than its key, or a version its selector does not accept (a
 * hand edit or a bad merge would otherwise change the version silently).
 */
function entryProblem(key: string, e: LockEntry, req: ResolveRequest): string | undefined {
  if (e.ref !== req.ref || e.selector !== req.selector) return `the entry ${key} names ${lockKey(e.ref, e.selector)}`;
  if (!selectorAccepts(req.selector, e.version)) return `${key} is locked to ${e.version}, which ${req.selector} does not accept`;
  return undefined;
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
  /**
   * The registry: unlocked references are resolved there (never when frozen), and locked
   * ones are fetched from it by exact version (when frozen, only those missing from the cache).
   */
  inner?: TemplateSource;
  /** Use only what the lock holds; the lock is never written. */
  frozen?: boolean;
}

/**
 * A source that answers from the lock first: online (an inner source and not frozen) by
 * asking for the locked exact versions, offline from the content cache; frozen, from the
 * cache or (missing there) the registry by exact version, never resolving anything new. Every entry it used is
 * in `used`, which the caller merges into the folder's lock (`nextLock`).
 */
export class LockedSource implements TemplateSource {
  readonly name = 'lockfile';
  readonly used = new Map<string, LockEntry>();
  /**
   * `ref@version` of every version resolved for a reference the lock does not hold: not
   * pinned for that reference, even when the lock holds the same version under another
   * selector (a `--frozen-lockfile` compile would refuse it).
   */
  readonly unlocked = new Set<string>();

  constructor(private readonly opts: LockedSourceOptions) {}

  async resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    const out = new Array<ResolveOutcome | undefined>(requests.length);
    const toInner: { i: number; req: ResolveRequest; locked?: LockEntry }[] = [];
    requests.forEach((req, i) => {
      const key = lockKey(req.ref, req.selector);
      const locked = this.opts.lock?.templates[key];
      if (!locked) {
        if (this.opts.frozen)
          out[i] = {
            ok: false,
            code: 'not-locked',
            message: `${req.ref}@${req.selector || 'stable'} is not in ${LOCKFILE_NAME} (--frozen-lockfile); run pipewright lock`,
          };
        else toInner.push({ i, req });
        return;
      }
      const wrong = entryProblem(key, locked, req);
      if (wrong) {
        out[i] = { ok: false, code: 'invalid', message: `${LOCKFILE_NAME}: ${wrong}; run pipewright lock` };
        return;
      }
      // With a registry (frozen or not), locked entries are asked for by exact version in the
      // same batch: the registry confirms the digest and reports deprecations and yanks, so
      // the rules compile applies do not depend on what the cache happens to hold. Nothing a
      // frozen compile asks for is resolved afresh. Without a registry, the cache answers.
      if (this.opts.inner) {
        toInner.push({ i, req: { ...req, selector: locked.version }, locked });
        return;
      }
      const text = this.opts.cache.get(locked.digest);
      if (text === undefined) {
        out[i] = {
          ok: false,
          code: 'unavailable',
          message: `${locked.ref}@${locked.version} (${locked.digest}) is not in the template cache, and no registry is given to fetch it from (--registry or PIPEWRIGHT_REGISTRY)`,
        };
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
          out[x.i] = {
            ok: false,
            code: 'invalid',
            message: `tamper: the registry serves ${a.template.ref}@${a.template.version} as ${a.template.digest}, ${LOCKFILE_NAME} says ${x.locked.digest}`,
          };
          return;
        }
        if (a.ok)
          this.used.set(key, {
            ref: a.template.ref,
            selector: requests[x.i]!.selector,
            version: a.template.version,
            digest: a.template.digest,
          });
        if (a.ok && !x.locked) this.unlocked.add(`${a.template.ref}@${a.template.version}`);
        out[x.i] = a;
      });
    }
    return out.map((o, i) => o ?? { ok: false, code: 'not-found', message: `template ${requests[i]!.ref} not found` });
  }

  /**
   * The lock to write after a successful compile: `base` (the lock as it is now on disk, which
   * other pipelines of the folder share) with every entry this compile used added or updated.
   * Nothing of `base` is dropped; without `base`, only what was used.
   */
  nextLock(base?: Lockfile): Lockfile {
    return mergeLock(base, this.used.values());
  }
}
