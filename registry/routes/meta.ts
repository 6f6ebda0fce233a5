/**
 * Health, the event log, the OpenAPI document, the caller's token and the admin token API (routes/tokens.ts).
 */
import { Router } from 'express';
import type { Store } from '../store.js';
import { openApiDocument } from '../openapi.js';
import { badRequest } from '../errors.js';
import { queryString } from './params.js';
import { requireScope, type Auth } from './scope.js';
import { tokenRoutes } from './tokens.js';

/** `/healthz`, `/openapi.json`, `/api/v1/events` and the token API (tokens.ts). */
export function metaRoutes({ store, auth }: { store: Store; auth: Auth }): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    store.ping();
    res.json({ ok: true });
  });
  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  // The log names tokens (actors, token-create/revoke details): a read token is needed even
  // when the server allows anonymous reads of templates.
  r.get('/api/v1/events', requireScope(store, 'read', false), (req, res) => {
    const after = Number(queryString(req.query['after']) ?? 0);
    const limit = Number(queryString(req.query['limit']) ?? 100);
    if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1)
      throw badRequest('after and limit must be whole numbers');
    res.json({ events: store.events(after, limit) });
  });
  // The caller's own token, so a client can tell "cannot publish" before it starts.
  r.get('/api/v1/token', requireScope(store, 'read', false), (req, res) => {
    const { id, name, scope } = req.principal!;
    res.json({ id, name, scope });
  });
  r.use(tokenRoutes({ store, auth }));
  return r;
}
