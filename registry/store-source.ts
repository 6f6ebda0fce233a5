/**
 * The registry's own template source: resolves references against the store, as the
 * compiler does when a template is compiled in isolation at publish time.
 */
import { DiagnosticBag } from '../compiler/index.js';
import type { ResolveOutcome, ResolveRequest, ResolvedTemplate, TemplateSource } from '../compiler/index.js';
import { readYaml, sourcePositions } from '../compiler/index.js';
import type { Store } from './store.js';
import { registryFile } from '../client/index.js';

export { registryFile };

/** Display name of a registry version in diagnostics and provenance. */

/** Parses a stored or fetched version into a ResolvedTemplate (positions registered). */
export function parsedVersion(
  ref: string,
  version: string,
  digest: string,
  source: string,
  deprecation?: { message: string; sunset?: string },
): ResolvedTemplate {
  const file = registryFile(ref, version);
  const [doc] = readYaml(file, source, sourcePositions, new DiagnosticBag());
  return { ref, version, digest, file, value: doc?.value ?? null, ...(deprecation ? { deprecation } : {}) };
}

/** The store as a template source (nested references of a template being published). */
export class StoreSource implements TemplateSource {
  readonly name = 'registry-store';

  constructor(private readonly store: Store) {}

  // Synchronous work behind the asynchronous interface: a throw becomes a rejection, as in an async function.
  resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    return new Promise((done) => done(requests.map((req) => this.outcome(req))));
  }

  private outcome(req: ResolveRequest): ResolveOutcome {
    const sel = this.store.select(req.ref, req.selector);
    if (!sel.ok) {
      return sel.versions
        ? { ok: false, code: 'no-version', message: `${req.ref}: ${sel.reason}`, versions: sel.versions }
        : { ok: false, code: 'not-found', message: sel.reason };
    }
    const v = this.store.getVersion(req.ref, sel.version);
    const t = parsedVersion(v.ref, v.version, v.digest, v.source, v.deprecation);
    return { ok: true, template: v.yanked ? { ...t, yanked: true } : t };
  }
}
