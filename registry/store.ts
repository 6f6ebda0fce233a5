/**
 * The registry's data: templates, immutable versions, movable labels, deprecations, yanks
 * and the event log, over one SQLite database. Synchronous (better-sqlite3); every write is
 * one transaction, so a version is either fully stored or not at all. Each committed change
 * of a template is announced on `changes` (store-changes.ts), for caches of the store's answers.
 *
 * The connection stays inside: what else lives in the same database (tokens, sessions) is
 * reached through the store's methods too, and writes wait for the lock through `write`.
 */
import { highestStable, selectVersion, sortVersions, type SelectResult } from '../compiler/index.js';
import { checkToken, type TokenCheck } from './auth.js';
import { retryWhileBusy } from './busy.js';
import type { DB } from './db.js';
import { isCalendarDate } from '../client/index.js';
import { conflict, notFound, badRequest } from './errors.js';
import { sessionStore, type SessionStore } from './session.js';
import { storeChanges, type StoreChangeSignal, type StoreChanges } from './store-changes.js';
import {
  summaryOf,
  toEvent,
  toVersion,
  type EventRow,
  type NewVersion,
  type Row,
  type StoreEvent,
  type TemplateSummary,
  type VersionRow,
  type YankedLabels,
} from './store-rows.js';
import { listTokens, revokeToken, type TokenInfo } from './tokens.js';

export type { NewVersion, StoreEvent, TemplateIdentity, TemplateSummary, VersionRow, YankedLabels } from './store-rows.js';

/** Access to the registry tables. `now` is injectable for tests. */
export class Store {
  private readonly q;
  private readonly signal: StoreChanges;
  private sessionRows: SessionStore | undefined;
  /** Changes committed through this connection, and a generation that moves when others commit. */
  readonly changes: StoreChangeSignal;

  constructor(
    private readonly db: DB,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signal = storeChanges(db);
    this.changes = this.signal;
    this.q = {
      templateByRef: db.prepare('SELECT * FROM templates WHERE ref = ?'),
      insertTemplate: db.prepare(
        'INSERT INTO templates (ref, scope, identifier, type, name, description, created_at) VALUES (@ref, @scope, @identifier, @type, @name, @description, @at)',
      ),
      updateTemplate: db.prepare('UPDATE templates SET name = @name, description = @description WHERE id = @id'),
      content: db.prepare('SELECT digest, source, canonical, inputs FROM versions WHERE digest = ? LIMIT 1'),
      version: db.prepare('SELECT v.*, t.ref FROM versions v JOIN templates t ON t.id = v.template_id WHERE t.ref = ? AND v.version = ?'),
      versionsOf: db.prepare(
        'SELECT version, digest, created_at, created_by, yanked, deprecated_message, sunset FROM versions WHERE template_id = ? ORDER BY id',
      ),
      insertVersion: db.prepare(
        `INSERT INTO versions (template_id, version, digest, source, canonical, inputs, created_at, created_by)
         VALUES (@templateId, @version, @digest, @source, @canonical, @inputs, @at, @actor)`,
      ),
      // Labels on yanked versions are left only by registries older than the yank's label rule; never shown.
      labelsOf: db.prepare(
        'SELECT l.name, v.version FROM labels l JOIN versions v ON v.id = l.version_id WHERE l.template_id = ? AND v.yanked = 0 ORDER BY l.name',
      ),
      labelsAt: db.prepare('SELECT name FROM labels WHERE version_id = ? ORDER BY name'),
      liveVersionsOf: db.prepare('SELECT id, version FROM versions WHERE template_id = ? AND yanked = 0'),
      upsertLabel: db.prepare(
        `INSERT INTO labels (template_id, name, version_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (template_id, name) DO UPDATE SET version_id = excluded.version_id, updated_at = excluded.updated_at`,
      ),
      deleteLabel: db.prepare('DELETE FROM labels WHERE template_id = ? AND name = ?'),
      deprecate: db.prepare('UPDATE versions SET deprecated_message = ?, sunset = ? WHERE id = ?'),
      yank: db.prepare('UPDATE versions SET yanked = 1 WHERE id = ? AND yanked = 0'),
      undeprecate: db.prepare(
        'UPDATE versions SET deprecated_message = NULL, sunset = NULL WHERE id = ? AND deprecated_message IS NOT NULL',
      ),
      unyank: db.prepare('UPDATE versions SET yanked = 0 WHERE id = ? AND yanked = 1'),
      event: db.prepare('INSERT INTO events (at, actor, action, ref, version, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      events: db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?'),
      allTemplates: db.prepare('SELECT * FROM templates ORDER BY ref'),
      ping: db.prepare('SELECT 1'),
    };
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private template(ref: string): Row {
    const t = this.q.templateByRef.get(ref) as Row | undefined;
    if (!t) throw notFound(`template ${ref} not found`);
    return t;
  }

  private versionRow(ref: string, version: string): Row {
    const v = this.q.version.get(ref, version) as Row | undefined;
    if (!v) throw notFound(`version ${ref}@${version} not found`);
    return v;
  }

  private log(actor: string, action: string, ref?: string, version?: string, detail?: unknown): void {
    this.q.event.run(this.stamp(), actor, action, ref ?? null, version ?? null, detail === undefined ? null : JSON.stringify(detail));
  }

  /**
   * Stores a new immutable version. Identical content under an existing version is a no-op
   * (`created: false`); different content is a conflict (409).
   */
  publish(v: NewVersion, actor: string): { created: boolean } {
    const out = this.db
      .transaction(() => {
        let t = this.q.templateByRef.get(v.ref) as Row | undefined;
        if (t && t['type'] !== v.type)
          throw conflict(`${v.ref} is a ${String(t['type'])} template; a version cannot change it to ${v.type}`);
        const existing = t ? (this.q.version.get(v.ref, v.version) as Row | undefined) : undefined;
        if (existing) {
          if (existing['digest'] === v.digest) return { created: false };
          throw conflict(
            `${v.ref}@${v.version} already exists with different content (${String(existing['digest'])}); versions are immutable`,
          );
        }
        const at = this.stamp();
        if (!t) {
          this.q.insertTemplate.run({
            ref: v.ref,
            scope: v.scope,
            identifier: v.identifier,
            type: v.type,
            name: v.name,
            description: v.description,
            at,
          });
          t = this.q.templateByRef.get(v.ref) as Row;
        } else {
          this.q.updateTemplate.run({ id: t['id'], name: v.name, description: v.description });
        }
        this.q.insertVersion.run({
          templateId: t['id'],
          version: v.version,
          digest: v.digest,
          source: v.source,
          canonical: v.canonical,
          inputs: v.inputs,
          at,
          actor,
        });
        this.log(actor, 'publish', v.ref, v.version, { digest: v.digest });
        return { created: true };
      })
      .immediate();
    if (out.created) this.signal.emit({ action: 'publish', ref: v.ref, version: v.version });
    return out;
  }

  /** Immutable content by digest (whichever version holds it), or 404. */
  getContent(digest: string): Pick<VersionRow, 'digest' | 'source' | 'canonical' | 'inputs'> {
    const r = this.q.content.get(digest) as Row | undefined;
    if (!r) throw notFound(`no content with digest ${digest}`);
    return { digest: String(r['digest']), source: String(r['source']), canonical: String(r['canonical']), inputs: String(r['inputs']) };
  }

  getVersion(ref: string, version: string): VersionRow {
    return toVersion(this.versionRow(ref, version));
  }

  /** A template with all its versions (publish order) and labels, `stable` included. */
  getTemplate(ref: string): { summary: TemplateSummary; versions: Omit<VersionRow, 'source' | 'canonical' | 'inputs' | 'ref'>[] } {
    const t = this.template(ref);
    const rows = this.q.versionsOf.all(t['id']) as Row[];
    const labels = this.labelsFor(t['id'] as number, rows);
    return {
      summary: summaryOf(t, rows, labels),
      versions: rows.map((r) => {
        const { version, digest, createdAt, createdBy, yanked, deprecation } = toVersion({
          ...r,
          ref,
          source: '',
          canonical: '',
          inputs: '',
        });
        return { version, digest, createdAt, createdBy, yanked, ...(deprecation ? { deprecation } : {}) };
      }),
    };
  }

  /** Labels as stored (name → version). */
  private storedLabels(templateId: unknown): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const l of this.q.labelsOf.all(templateId) as Row[]) labels[String(l['name'])] = String(l['version']);
    return labels;
  }

  /**
   * Labels as stored, plus the computed `stable` when it is not pinned: the version a `stable`
   * selector picks (selectVersion), so listings, pages and resolves name the same one.
   */
  private labelsFor(templateId: number, rows: Row[]): Record<string, string> {
    const labels = this.storedLabels(templateId);
    if (!labels['stable']) {
      const stable = selectVersion(
        'stable',
        rows.map((r) => ({ version: String(r['version']), yanked: !!r['yanked'] })),
      );
      if (stable.ok) labels['stable'] = stable.version;
    }
    return labels;
  }

  /** Lists templates, optionally filtered by type, text (ref, name, description) and label. */
  listTemplates(filter: { type?: string; q?: string; label?: string } = {}): TemplateSummary[] {
    const out: TemplateSummary[] = [];
    const text = filter.q?.toLowerCase();
    for (const t of this.q.allTemplates.all() as Row[]) {
      if (filter.type && t['type'] !== filter.type) continue;
      if (text && ![t['ref'], t['name'], t['description']].some((f) => String(f).toLowerCase().includes(text))) continue;
      const rows = this.q.versionsOf.all(t['id']) as Row[];
      const labels = this.labelsFor(t['id'] as number, rows);
      if (filter.label && !(filter.label in labels)) continue;
      out.push(summaryOf(t, rows, labels));
    }
    return out;
  }

  /** Resolves a selector the way every source does (see compiler/versions.ts). */
  select(ref: string, selector: string): SelectResult & { versions?: string[] } {
    const t = this.q.templateByRef.get(ref) as Row | undefined;
    if (!t) return { ok: false, reason: `template ${ref} not found` };
    const rows = this.q.versionsOf.all(t['id']) as Row[];
    const labels = this.storedLabels(t['id']);
    const r = selectVersion(
      selector,
      rows.map((x) => ({ version: String(x['version']), yanked: !!x['yanked'] })),
      labels,
    );
    return r.ok ? r : { ...r, versions: sortVersions(rows.map((x) => String(x['version']))) };
  }

  /** Points `label` at `version`; a label already stored there changes nothing and records no event. */
  setLabel(ref: string, label: string, version: string, actor: string): { changed: boolean } {
    const changed = this.db
      .transaction(() => {
        const t = this.template(ref);
        const v = this.versionRow(ref, version);
        if (v['yanked']) throw conflict(`${ref}@${version} is yanked; a label cannot point at it`);
        if (this.storedLabels(t['id'])[label] === version) return false;
        this.q.upsertLabel.run(t['id'], label, v['id'], this.stamp());
        this.log(actor, 'label', ref, version, { label });
        return true;
      })
      .immediate();
    if (changed) this.signal.emit({ action: 'label', ref, version });
    return { changed };
  }

  removeLabel(ref: string, label: string, actor: string): void {
    this.db
      .transaction(() => {
        const t = this.template(ref);
        const r = this.q.deleteLabel.run(t['id'], label);
        if (r.changes === 0) throw notFound(`${ref} has no label ${label}`);
        this.log(actor, 'unlabel', ref, undefined, { label });
      })
      .immediate();
    this.signal.emit({ action: 'unlabel', ref });
  }

  deprecate(ref: string, version: string, message: string, sunset: string | undefined, actor: string): void {
    if (!message) throw badRequest('a deprecation needs a message');
    if (sunset !== undefined && !isCalendarDate(sunset))
      throw badRequest(`sunset ${JSON.stringify(sunset)} is not a calendar date (YYYY-MM-DD)`);
    this.db
      .transaction(() => {
        const v = this.versionRow(ref, version);
        this.q.deprecate.run(message, sunset ?? null, v['id']);
        this.log(actor, 'deprecate', ref, version, { message, sunset });
      })
      .immediate();
    this.signal.emit({ action: 'deprecate', ref, version });
  }

  /**
   * Yanks a version and, in the same transaction, the labels pointing at it: the stored
   * `stable` moves to the highest non-yanked, non-prerelease version (removed when there
   * is none), every other label is removed. The event and the answer say what happened to
   * each. Yanking a yanked version changes and records nothing (`yanked: false`, no labels).
   * Unyank gives no label back.
   */
  yank(ref: string, version: string, actor: string): { yanked: boolean; labels: YankedLabels } {
    const out = this.db
      .transaction(() => {
        const v = this.versionRow(ref, version);
        const labels: YankedLabels = { moved: [], removed: [] };
        if (this.q.yank.run(v['id']).changes === 0) return { yanked: false, labels };
        const templateId = v['template_id'];
        const live = this.q.liveVersionsOf.all(templateId) as Row[];
        const best = highestStable(live.map((r) => String(r['version'])));
        for (const l of this.q.labelsAt.all(v['id']) as Row[]) {
          const label = String(l['name']);
          if (label === 'stable' && best !== undefined) {
            this.q.upsertLabel.run(templateId, label, live.find((r) => r['version'] === best)!['id'], this.stamp());
            labels.moved.push({ label, from: version, to: best });
          } else {
            this.q.deleteLabel.run(templateId, label);
            labels.removed.push(label);
          }
        }
        this.log(actor, 'yank', ref, version, { labels });
        return { yanked: true, labels };
      })
      .immediate();
    if (out.yanked) this.signal.emit({ action: 'yank', ref, version });
    return out;
  }

  /** Takes a version's deprecation back (an event when there was one; else nothing changes). */
  undeprecate(ref: string, version: string, actor: string): { changed: boolean } {
    return this.undo('undeprecate', ref, version, actor);
  }

  /**
   * Takes a yank back: ranges and `stable` may choose the version again (an event when it was
   * yanked). The labels the yank moved or removed stay as they are: they are re-pointed by hand.
   */
  unyank(ref: string, version: string, actor: string): { changed: boolean } {
    return this.undo('unyank', ref, version, actor);
  }

  private undo(action: 'undeprecate' | 'unyank', ref: string, version: string, actor: string): { changed: boolean } {
    const changed = this.db
      .transaction(() => {
        const v = this.versionRow(ref, version);
        const n = this.q[action].run(v['id']).changes;
        if (n > 0) this.log(actor, action, ref, version);
        return n > 0;
      })
      .immediate();
    if (changed) this.signal.emit({ action, ref, version });
    return { changed };
  }

  events(after = 0, limit = 100): StoreEvent[] {
    return (this.q.events.all(after, Math.min(Math.max(limit, 1), 1000)) as EventRow[]).map(toEvent);
  }

  /** Records an event that is not a data change (token creation). */
  record(actor: string, action: string, detail?: unknown): void {
    this.log(actor, action, undefined, undefined, detail);
  }

  // The rest of the database, for the routes: health, waiting writes, tokens and sessions.

  /** Throws unless the database answers a query (health checks). */
  ping(): void {
    this.q.ping.get();
  }

  /**
   * Runs the synchronous write `fn` (one of this store's writes) without blocking the process
   * on a busy database: retried on timers, then 503 (busy.ts `retryWhileBusy`).
   */
  write<T>(fn: () => T): Promise<T> {
    return retryWhileBusy(this.db, fn);
  }

  /** Checks a bearer token against this database's tokens (auth.ts `checkToken`). */
  checkToken(token: string): TokenCheck {
    return checkToken(this.db, token);
  }

  /** Every token, oldest first (tokens.ts `listTokens`: never a secret or hash). */
  listTokens(): TokenInfo[] {
    return listTokens(this.db);
  }

  /** Revokes token `id` (404 when unknown) and records who did, in one transaction. */
  revokeToken(id: string, actor: string): { token: TokenInfo; revoked: boolean } {
    return this.db
      .transaction(() => {
        const out = revokeToken(this.db, id);
        if (out.revoked) this.record(actor, 'token-revoke', { id, name: out.token.name });
        return out;
      })
      .immediate();
  }

  /** The catalog's browser sessions in this database (session.ts), prepared on first use. */
  sessions(): SessionStore {
    return (this.sessionRows ??= sessionStore(this.db));
  }
}
