/**
 * Templates that are about to be published (or validated), already read: the files being
 * checked are a source of their own, so a template can use another of the same batch before
 * either is in a registry. Selectors pick among them as every source does (versions.ts); a
 * selector none of them satisfies is "not found", so a later source may answer it.
 */
import { selectVersion, selectorText, sortVersions } from './versions.js';
import type { ResolveOutcome, ResolveRequest, ResolvedTemplate, TemplateSource } from './source.js';

export class CandidateSource implements TemplateSource {
  readonly name = 'candidates';
  private readonly byRef = new Map<string, ResolvedTemplate[]>();

  /** `notFound` ends the message of a reference none of them has (default: "template REF not found"). */
  constructor(
    templates: readonly ResolvedTemplate[],
    private readonly notFound: (ref: string) => string = (ref) => `template ${ref} not found`,
  ) {
    for (const t of templates) this.byRef.set(t.ref, [...(this.byRef.get(t.ref) ?? []), t]);
  }

  resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    return Promise.resolve(requests.map((req) => this.outcome(req)));
  }

  private outcome(req: ResolveRequest): ResolveOutcome {
    const versions = this.byRef.get(req.ref);
    if (!versions) return { ok: false, code: 'not-found', message: this.notFound(req.ref) };
    const sel = selectVersion(selectorText(req.selector), versions);
    // Not found, not "no version": a later source (the registry) may hold the version asked for.
    if (!sel.ok)
      return {
        ok: false,
        code: 'not-found',
        message: `${this.notFound(req.ref)} (${sel.reason} among ${sortVersions(versions.map((v) => v.version)).join(', ')})`,
      };
    return { ok: true, template: versions.find((v) => v.version === sel.version)! };
  }
}
