/**
 * Where templates come from. The compiler only knows this interface: the directory source
 * lives here, the HTTP registry client and the lockfile cache implement it elsewhere.
 */
import type { Location } from '../diagnostics.js';

/** Template types expanded where they are referenced. */
export type ExpandedTemplateType = 'Step' | 'StepGroup' | 'Stage' | 'Pipeline';
/**
 * Every template type pipewright publishes: the expanded ones, and Harness's deployment,
 * artifact-source, monitored-service and secret-manager templates, whose spec is opaque.
 */
export type TemplateType = ExpandedTemplateType | 'CustomDeployment' | 'ArtifactSource' | 'MonitoredService' | 'SecretManager';

/** Every template type, in the order they are listed to users. */
export const TEMPLATE_TYPES: readonly TemplateType[] = [
  'Step',
  'StepGroup',
  'Stage',
  'Pipeline',
  'CustomDeployment',
  'ArtifactSource',
  'MonitoredService',
  'SecretManager',
];

/** The template type `text` names, whatever its case (`stage`, `STEPGROUP`), or undefined. */
export function templateTypeOf(text: string): TemplateType | undefined {
  const lower = text.toLowerCase();
  return TEMPLATE_TYPES.find((t) => t.toLowerCase() === lower);
}

/** The message for a type that is not one: names the valid ones. */
export function unknownTemplateType(text: string): string {
  return `unknown template type '${text}' (${TEMPLATE_TYPES.join(', ')})`;
}
export type Scope = 'account' | 'org' | 'project';

/** A parsed reference: `account.redis`, `org.redis` or the project-scoped bare `redis`. */
export interface TemplateRefName {
  scope: Scope;
  identifier: string;
  /** Canonical text: `account.redis`, `org.redis`, `redis`. */
  ref: string;
}

/** One request of a batch: a reference and the selector written beside it. */
export interface ResolveRequest {
  ref: string;
  /** Selector text: exact version, range, label, or '' for stable. */
  selector: string;
  /** Where the reference is written, for error messages of remote sources. */
  at?: Location;
}

/**
 * A resolved template version. `value` is the whole parsed file (root `template:`), plain data
 * whose objects are registered in the compile's Positions table when the source read it
 * from text. Immutable: the compiler clones before it renders.
 */
export interface ResolvedTemplate {
  ref: string;
  version: string;
  digest: string;
  /** Display name of where the content came from (file path, or `registry:ref@version`). */
  file: string;
  value: unknown;
  deprecation?: { message: string; sunset?: string };
  /** Withdrawn by its publisher; still served for an exact pin (as npm serves a yanked version). */
  yanked?: boolean;
  /** Problems the source found in the template's own file (schema errors and warnings). */
  diagnostics?: import('../diagnostics.js').Diagnostic[];
}

/**
 * `not-locked`: a frozen lock does not hold the reference (an error for a template pipewright
 * expands; for a deployment template or artifact source, which it only records, a warning).
 */
export type ResolveOutcome =
  | { ok: true; template: ResolvedTemplate }
  | { ok: false; code: 'not-found' | 'no-version' | 'invalid' | 'unavailable' | 'not-locked'; message: string; versions?: string[] };

/**
 * A source of templates. `resolve` answers a whole batch in one call (one round trip for
 * remote sources), outcomes in request order. It never throws for a missing template.
 */
export interface TemplateSource {
  readonly name: string;
  resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]>;
}

/** Parses a reference text; undefined when it is outside the grammar. */
export function parseRef(text: string): TemplateRefName | undefined {
  const m = /^(?:(account|org)\.)?([a-zA-Z_][0-9a-zA-Z_]{0,127})$/.exec(text);
  if (!m) return undefined;
  const scope: Scope = (m[1] as Scope | undefined) ?? 'project';
  return { scope, identifier: m[2]!, ref: text };
}

/** The reference text of a template, from its scope fields (Harness rules). */
export function refOfTemplate(t: { identifier: string; orgIdentifier?: unknown; projectIdentifier?: unknown }): string {
  if (t.projectIdentifier && t.orgIdentifier) return t.identifier;
  if (t.orgIdentifier) return `org.${t.identifier}`;
  return `account.${t.identifier}`;
}

/**
 * Resolves a batch against sources in order: each source gets one batch of what the earlier
 * ones did not find. Outcomes come back in request order; a reference no source has gets the
 * first source's not-found answer.
 */
export async function resolveInOrder(sources: TemplateSource[], requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
  const out = new Array<ResolveOutcome | undefined>(requests.length);
  let todo = requests.map((r, i) => ({ r, i }));
  for (const source of sources) {
    if (todo.length === 0) break;
    const answers = await source.resolve(todo.map((t) => t.r));
    const still: typeof todo = [];
    todo.forEach((t, j) => {
      const a = answers[j]!;
      if (!a.ok && a.code === 'not-found') {
        still.push(t);
        out[t.i] ??= a;
      } else out[t.i] = a;
    });
    todo = still;
  }
  return requests.map(
    (r, i) =>
      out[i] ?? {
        ok: false,
        code: 'not-found',
        message:
          sources.length === 0
            ? `template ${r.ref} not found: no template source given (--templates DIR or --registry URL)`
            : `template ${r.ref} not found`,
      },
  );
}
