/**
 * Template routes: list and search, one template, one version (immutable, cached by
 * digest), publish, labels, deprecate, yank and diff.
 */
import { Router, type RequestHandler } from 'express';
import type { Store } from '../store.js';
import type { Scope } from '../auth.js';
import { badRequest } from '../errors.js';
import { preparePublish, type PublishBody } from '../publish.js';
import { diffVersions } from '../diff.js';
import { labelParam, queryString, refParam, versionParam } from './params.js';

export interface TemplateRoutesDeps {
  store: Store;
  auth: (scope: Scope) => RequestHandler;
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

export function templateRoutes({ store, auth }: TemplateRoutesDeps): Router {
  const r = Router();
  const actor = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';

  r.get('/templates', auth('read'), (req, res) => {
    const type = queryString(req.query['type']);
    const q = queryString(req.query['q']);
    const label = queryString(req.query['label']);
    res.json({ templates: store.listTemplates({ ...(type ? { type } : {}), ...(q ? { q } : {}), ...(label ? { label } : {}) }) });
  });

  r.get('/templates/:ref', auth('read'), (req, res) => {
    const t = store.getTemplate(refParam(req.params['ref']));
    res.json({ ...t.summary, versions: t.versions });
  });

  // The hot path of every compile that misses the cache: answers are serialized once.
  r.get('/templates/:ref/versions/:version', auth('read'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const version = versionParam(req.params['version']);
    const key = `${ref}@${version}`;
    let cached = store.versionResponses.get(key);
    if (!cached) {
      const v = store.getVersion(ref, version);
      cached = { etag: `"${v.digest}"`, body: Buffer.from(JSON.stringify(versionJson(v))) };
      store.versionResponses.set(key, cached);
    }
    res.setHeader('ETag', cached.etag);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    if (req.headers['if-none-match'] === cached.etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(cached.body);
  });

  r.put('/templates/:ref/versions/:version', auth('publish'), async (req, res) => {
    const ref = refParam(req.params['ref']);
    const version = versionParam(req.params['version']);
    const body = (req.body ?? {}) as PublishBody;
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object');
    const prepared = await preparePublish(store, ref, version, body);
    const { created } = store.publish(prepared, actor(req));
    res.status(created ? 201 : 200).json({ ref, version, digest: prepared.digest, created });
  });

  r.put('/templates/:ref/labels/:label', auth('publish'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const label = labelParam(req.params['label']);
    const version = versionParam((req.body as { version?: unknown } | undefined)?.version);
    store.setLabel(ref, label, version, actor(req));
    res.json({ ref, label, version });
  });

  r.delete('/templates/:ref/labels/:label', auth('publish'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const label = labelParam(req.params['label']);
    store.removeLabel(ref, label, actor(req));
    res.status(204).end();
  });

  r.post('/templates/:ref/versions/:version/deprecate', auth('publish'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const version = versionParam(req.params['version']);
    const body = (req.body ?? {}) as { message?: unknown; sunset?: unknown };
    if (typeof body.message !== 'string') throw badRequest("a deprecation needs 'message'");
    if (body.sunset !== undefined && typeof body.sunset !== 'string') throw badRequest("'sunset' must be a date string (YYYY-MM-DD)");
    store.deprecate(ref, version, body.message, body.sunset, actor(req));
    res.json(versionJson(store.getVersion(ref, version)));
  });

  r.post('/templates/:ref/versions/:version/yank', auth('admin'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const version = versionParam(req.params['version']);
    store.yank(ref, version, actor(req));
    res.json(versionJson(store.getVersion(ref, version)));
  });

  r.get('/templates/:ref/diff', auth('read'), (req, res) => {
    const ref = refParam(req.params['ref']);
    const from = versionParam(queryString(req.query['from']));
    const to = versionParam(queryString(req.query['to']));
    res.json(diffVersions(store.getVersion(ref, from), store.getVersion(ref, to)));
  });

  return r;
}
