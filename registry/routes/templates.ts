/**
 * Template routes: list and search, one template, one version (content and status,
 * revalidated), content by digest (immutable), publish, labels, deprecate, yank and diff.
 * Each route checks its scope first, then its path parameters (scoped.ts, params.ts).
 */
import { createHash } from 'node:crypto';
import type { Request, Router, Response } from 'express';
import type { Store, VersionRow } from '../store.js';
import { busyErrors } from '../busy.js';
import { badRequest } from '../errors.js';
import { templateTypeOf, unknownTemplateType } from '../../compiler/index.js';
import { preparePublish, type PublishBody } from '../publish.js';
import { diffVersions } from '../diff.js';
import { queryString, versionParam } from './params.js';
import { scopedRoutes } from './scoped.js';
import type { Auth } from './scope.js';
import { VersionResponses } from './version-responses.js';

/** What the template routes need: the store and the scope checks. */
export interface TemplateRoutesDeps {
  store: Store;
  auth: Auth;
}

/** Serializes one version for the API. */
export function versionJson(v: ReturnType<Store['getVersion']>) {
  return {
    ref: v.ref,
    version: v.version,
    digest: v.digest,
    content: JSON.parse(v.canonical) as unknown,
    source: v.source,
    inputs: JSON.parse(v.inputs) as unknown,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    yanked: v.yanked,
    ...(v.deprecation ? { deprecation: v.deprecation } : {}),
  };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Content under a digest never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A version's answer carries its status (yanked, deprecation): caches revalidate every time. */
const MUTABLE = 'public, no-cache';

/**
 * The validator of a version's answer: its content digest plus a hash of its status, so a
 * yank or a deprecation changes it while the content digest stays the same.
 */
export function versionEtag(v: Pick<VersionRow, 'digest' | 'yanked' | 'deprecation'>): string {
  const status = createHash('sha256')
    .update(JSON.stringify([v.yanked, v.deprecation ?? null]))
    .digest('hex')
    .slice(0, 12);
  return `"${v.digest};status=${status}"`;
}

/** Whether an `If-None-Match` header (a list, weak or strong, or `*`) matches `etag`. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** A JSON answer with its validator; 304 without a body when the client has it. */
function send(req: Request, res: Response, etag: string, cacheControl: string, body: Buffer): void {
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControl);
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(body);
}

/** The router of the template routes (mounted under `/api/v1`). */
export function templateRoutes({ store, auth }: TemplateRoutesDeps): Router {
  const r = scopedRoutes(auth);
  const responses = new VersionResponses(store.changes);
  const actor = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';

  r.get('/templates', 'read', (req, res) => {
    const written = queryString(req.query['type']);
    const type = written === undefined ? undefined : templateTypeOf(written);
    if (written !== undefined && !type) throw badRequest(unknownTemplateType(written));
    const q = queryString(req.query['q']);
    const label = queryString(req.query['label']);
    res.json({ templates: store.listTemplates({ ...(type ? { type } : {}), ...(q ? { q } : {}), ...(label ? { label } : {}) }) });
  });

  r.get('/templates/:ref', 'read', (req, res) => {
    const t = store.getTemplate(req.params.ref);
    res.json({ ...t.summary, versions: t.versions });
  });

  // The hot path of every compile that misses the cache: answers are serialized once (and
  // again after a status change here or in another process, see version-responses.ts).
  r.get('/templates/:ref/versions/:version', 'read', (req, res) => {
    const { ref, version } = req.params;
    const answer = responses.get(ref, version, () => {
      const v = store.getVersion(ref, version);
      return { etag: versionEtag(v), body: Buffer.from(JSON.stringify(versionJson(v))) };
    });
    send(req, res, answer.etag, MUTABLE, answer.body);
  });

  // Immutable, digest-addressed content: what never changes, cacheable forever.
  r.get('/content/:digest', 'read', (req, res) => {
    const digest = req.params.digest;
    if (!DIGEST.test(digest)) throw badRequest(`'${digest}' is not a digest (sha256:<64 hex>)`);
    const c = store.getContent(digest);
    send(
      req,
      res,
      `"${digest}"`,
      IMMUTABLE,
      Buffer.from(
        JSON.stringify({
          digest: c.digest,
          content: JSON.parse(c.canonical) as unknown,
          source: c.source,
          inputs: JSON.parse(c.inputs) as unknown,
        }),
      ),
    );
  });

  r.put('/templates/:ref/versions/:version', 'publish', async (req, res) => {
    const { ref, version } = req.params;
    const body = (req.body ?? {}) as PublishBody;
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object');
    const prepared = await preparePublish(store, ref, version, body);
    const { created } = await store.write(() => store.publish(prepared, actor(req)));
    res.status(created ? 201 : 200).json({ ref, version, digest: prepared.digest, created });
  });

  r.put('/templates/:ref/labels/:label', 'publish', async (req, res) => {
    const { ref, label } = req.params;
    const version = versionParam((req.body as { version?: unknown } | undefined)?.version);
    const { changed } = await store.write(() => store.setLabel(ref, label, version, actor(req)));
    res.json({ ref, label, version, changed });
  });

  r.delete('/templates/:ref/labels/:label', 'publish', async (req, res) => {
    const { ref, label } = req.params;
    await store.write(() => store.removeLabel(ref, label, actor(req)));
    res.status(204).end();
  });

  r.post('/templates/:ref/versions/:version/deprecate', 'publish', async (req, res) => {
    const { ref, version } = req.params;
    const body = (req.body ?? {}) as { message?: unknown; sunset?: unknown };
    if (typeof body.message !== 'string') throw badRequest("a deprecation needs 'message'");
    if (body.sunset !== undefined && typeof body.sunset !== 'string') throw badRequest("'sunset' must be a date string (YYYY-MM-DD)");
    const { message, sunset } = body;
    await store.write(() => store.deprecate(ref, version, message, sunset, actor(req)));
    res.json(versionJson(store.getVersion(ref, version)));
  });

  // The version, and what the yank did to the labels that pointed at it (none on a repeat).
  r.post('/templates/:ref/versions/:version/yank', 'admin', async (req, res) => {
    const { ref, version } = req.params;
    const { yanked, labels } = await store.write(() => store.yank(ref, version, actor(req)));
    res.json({ ...versionJson(store.getVersion(ref, version)), labels, changed: yanked });
  });

  r.post('/templates/:ref/versions/:version/undeprecate', 'admin', async (req, res) => {
    const { ref, version } = req.params;
    const { changed } = await store.write(() => store.undeprecate(ref, version, actor(req)));
    res.json({ ...versionJson(store.getVersion(ref, version)), changed });
  });

  r.post('/templates/:ref/versions/:version/unyank', 'admin', async (req, res) => {
    const { ref, version } = req.params;
    const { changed } = await store.write(() => store.unyank(ref, version, actor(req)));
    res.json({ ...versionJson(store.getVersion(ref, version)), changed });
  });

  // Bounded work (diff.ts DIFF_LIMITS): past a bound, still 200, with `tooLarge` set.
  r.get('/templates/:ref/diff', 'read', (req, res) => {
    const ref = req.params.ref;
    const from = versionParam(queryString(req.query['from']));
    const to = versionParam(queryString(req.query['to']));
    res.json(diffVersions(store.getVersion(ref, from), store.getVersion(ref, to)));
  });

  r.router.use(busyErrors);
  return r.router;
}
