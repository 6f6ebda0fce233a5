/**
 * The store's answers (templates, versions, summaries, events) and how they are read from the
 * SQLite rows of store.ts's queries.
 */
import { sortVersions } from '../compiler/index.js';

/** What names and describes a template (the latest published version's name and description win). */
export interface TemplateIdentity {
  ref: string;
  scope: string;
  identifier: string;
  type: string;
  name: string;
  description: string;
}

/** What a publisher sends, already validated and canonicalised. */
export interface NewVersion extends TemplateIdentity {
  version: string;
  digest: string;
  /** The YAML text as published (kept so clients get positions). */
  source: string;
  /** Canonical JSON of the parsed document; its sha256 is `digest`. */
  canonical: string;
  /** JSON of the template's `inputs:` declarations. */
  inputs: string;
}

/** One stored version: content, source, inputs and status. */
export interface VersionRow {
  ref: string;
  version: string;
  digest: string;
  source: string;
  canonical: string;
  inputs: string;
  createdAt: string;
  createdBy: string;
  yanked: boolean;
  deprecation?: { message: string; sunset?: string };
}

/**
 * What a yank did to the labels that pointed at the version: the stored `stable` moved
 * (`moved`) or, with no version left to move to, removed with the others (`removed`, by name).
 */
export interface YankedLabels {
  moved: { label: string; from: string; to: string }[];
  removed: string[];
}

/** A template as listings show it: identity, latest (stable) version, labels, counts. */
export interface TemplateSummary extends TemplateIdentity {
  latest?: string;
  versions: number;
  labels: Record<string, string>;
  deprecated: boolean;
}

/** One entry of the event log: who did what, when. */
export interface StoreEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  ref?: string;
  version?: string;
  detail?: unknown;
}

/** A row as better-sqlite3 answers it. */
export type Row = Record<string, unknown>;

/** A row of the `events` table. */
export interface EventRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  ref: string | null;
  version: string | null;
  detail: string | null;
}

/** A `versions` row (joined with its template's ref) as the store answers it. */
export function toVersion(r: Row): VersionRow {
  const out: VersionRow = {
    ref: String(r['ref']),
    version: String(r['version']),
    digest: String(r['digest']),
    source: String(r['source']),
    canonical: String(r['canonical']),
    inputs: String(r['inputs']),
    createdAt: String(r['created_at']),
    createdBy: String(r['created_by']),
    yanked: !!r['yanked'],
  };
  const message = r['deprecated_message'];
  const sunset = r['sunset'];
  if (typeof message === 'string' && message) out.deprecation = { message, ...(typeof sunset === 'string' && sunset ? { sunset } : {}) };
  return out;
}

/** A `templates` row with its versions' rows and labels, as listings show it. */
export function summaryOf(t: Row, rows: Row[], labels: Record<string, string>): TemplateSummary {
  const latest = labels['stable'] ?? sortVersions(rows.filter((r) => !r['yanked']).map((r) => String(r['version'])))[0];
  const latestRow = rows.find((r) => r['version'] === latest);
  return {
    ref: String(t['ref']),
    scope: String(t['scope']),
    identifier: String(t['identifier']),
    type: String(t['type']),
    name: String(t['name']),
    description: String(t['description']),
    ...(latest ? { latest } : {}),
    versions: rows.length,
    labels,
    deprecated: !!latestRow?.['deprecated_message'],
  };
}

/** An `events` row as the store answers it. */
export function toEvent(e: EventRow): StoreEvent {
  return {
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    ...(e.ref ? { ref: e.ref } : {}),
    ...(e.version ? { version: e.version } : {}),
    ...(e.detail ? { detail: JSON.parse(e.detail) as unknown } : {}),
  };
}
