/**
 * The compiler's template source for an HTTP registry: each call is one batch resolve
 * request (one round trip per nesting level), content is verified against its digest and
 * kept in the content-addressed disk cache.
 */
import { verifiedTemplate, type ContentCache, type ResolveOutcome, type ResolveRequest, type TemplateSource } from '../compiler/index.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-client.js';
import type { ResolveItem } from './resolve-item.js';

export interface RegistrySourceOptions {
  /**
   * Ask for each (reference, selector) once in this source's life and keep the answer: one
   * consistent view of the registry for a command over a whole fleet (and one round trip
   * per template instead of one per pipeline). Unavailable answers are not kept.
   */
  snapshot?: boolean;
}

export class RegistrySource implements TemplateSource {
  readonly name: string;
  private readonly answered = new Map<string, ResolveOutcome>();

  constructor(
    private readonly client: RegistryClient,
    private readonly cache?: ContentCache,
    private readonly options: RegistrySourceOptions = {},
  ) {
    this.name = `registry:${client.url}`;
  }

  async resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    if (!this.options.snapshot) return this.fetch(requests);
    const key = (r: ResolveRequest) => `${r.ref}\u0000${r.selector}`;
    const missing = new Map<string, ResolveRequest>();
    for (const r of requests) if (!this.answered.has(key(r))) missing.set(key(r), r);
    const fresh = new Map<string, ResolveOutcome>();
    const outcomes = await this.fetch([...missing.values()]);
    [...missing.keys()].forEach((k, i) => {
      const o = outcomes[i]!;
      if (o.ok || o.code === 'not-found' || o.code === 'no-version') this.answered.set(k, o);
      else fresh.set(k, o);
    });
    return requests.map((r) => this.answered.get(key(r)) ?? fresh.get(key(r))!);
  }

  /** One batch resolve request for `requests`. */
  private async fetch(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    if (requests.length === 0) return [];
    let results: ResolveItem[];
    try {
      const res = await this.client.request<{ results: ResolveItem[] }>('POST', '/api/v1/resolve', {
        requests: requests.map((r) => ({ ref: r.ref, selector: r.selector })),
      });
      results = res.body.results;
    } catch (e) {
      const message = e instanceof RegistryError ? e.message : `registry request failed: ${(e as Error).message}`;
      return requests.map(() => ({ ok: false, code: 'unavailable', message }));
    }
    return requests.map((req, i) => {
      const r = results[i];
      if (!r) return { ok: false, code: 'unavailable', message: `registry gave no answer for ${req.ref}` };
      if (!r.ok) {
        if (r.error.code === 'no_version')
          return { ok: false, code: 'no-version', message: r.error.message, ...(r.versions ? { versions: r.versions } : {}) };
        return { ok: false, code: r.error.code === 'not_found' ? 'not-found' : 'invalid', message: r.error.message };
      }
      const t = verifiedTemplate(r.ref, r.version, r.digest, r.source, registryFile(r.ref, r.version));
      if ('tampered' in t) return { ok: false, code: 'invalid', message: `tamper: ${t.tampered}` };
      this.cache?.put(r.digest, r.source);
      return {
        ok: true,
        template:
          r.deprecation || r.yanked
            ? { ...t, ...(r.deprecation ? { deprecation: r.deprecation } : {}), ...(r.yanked ? { yanked: true } : {}) }
            : t,
      };
    });
  }
}

/** How a template version from a registry is named in diagnostics: `registry:ref@version`. */
export const registryFile = (ref: string, version: string) => `registry:${ref}@${version}`;
