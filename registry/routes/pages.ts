/**
 * The catalog: server-rendered pages for finding, understanding and adopting templates, one
 * module a page (pages/catalog.ts `/`, pages/template.ts `/templates/{ref}`, pages/diff.ts
 * `/templates/{ref}/diff`, pages/login.ts `/login` and `/logout`), with Handlebars views
 * (views.ts: template content is always text), one CSS file and one small script
 * (pages/assets.ts; the pages work without it), under a Content-Security-Policy without
 * inline scripts.
 *
 * This module puts them, in order, on one router whose `:ref` is checked by a param callback
 * (params.ts): assets, who is signed in (pages/session.ts), sign-in, then the gate, then the
 * pages behind it, and the error page. Pages need a reader like the API
 * unless the server allows anonymous reads: a bearer token, or a browser signed in on the
 * sign-in page (a server-side session; the cookie never holds the token).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { toApiError } from '../errors.js';
import type { Store } from '../store.js';
import { pageSender, type SendPage } from '../views.js';
import { credentialsOf } from './bearer.js';
import { assetRoutes } from './pages/assets.js';
import { catalogPage } from './pages/catalog.js';
import { diffPage } from './pages/diff.js';
import { loginPage, loginRoutes, safeNext } from './pages/login.js';
import { sessionLookup, sessionOf } from './pages/session.js';
import { templatePage } from './pages/template.js';
import { checkPathParams } from './params.js';

/** Whether a path is one of the gated pages (the catalog and everything under /templates). */
const gated = (path: string) => path === '/' || path === '/templates' || path.startsWith('/templates/');

/** The catalog's router, mounted after the API's. */
export function pageRoutes(opts: { store: Store; anonymousRead: boolean }): Router {
  const { store } = opts;
  const page = pageSender((res) => {
    const s = sessionOf(res);
    return s && { name: s.principal.name, csrf: s.csrf };
  });
  const sessions = store.sessions();
  const r = checkPathParams(Router());
  assetRoutes(r, { page });
  r.use(sessionLookup(sessions));
  loginRoutes(r, { tokens: store, sessions, send: page });
  r.use(readerGate(store, opts.anonymousRead, page));
  catalogPage(r, { store, page });
  templatePage(r, { store, page });
  diffPage(r, { store, page });
  r.use(errorPage(page));
  return r;
}

/** Every gated page needs a reader: anonymous reads, a session, or a bearer token; else the sign-in page (401). */
function readerGate(store: Store, anonymousRead: boolean, page: SendPage) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!gated(req.path) || anonymousRead || sessionOf(res)) return next();
    const credentials = credentialsOf(req);
    if (credentials.kind === 'bearer' && store.checkToken(credentials.token).ok) return next();
    loginPage(req, res, page, 401, { next: safeNext(req.originalUrl) });
  };
}

/**
 * Page errors render as pages, not JSON; client mistakes caught by express (a malformed
 * percent-encoding in the path) too. Errors of API paths, and unexpected errors, go on (to be
 * answered as JSON and logged).
 */
function errorPage(page: SendPage) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = toApiError(err);
    if (req.path.startsWith('/api/') || e.code === 'internal') return next(err);
    const title = e.status === 404 ? 'Not found' : 'Error';
    if (e.headers) res.set(e.headers);
    page(res, e.status, 'error', title, { title, message: e.message });
  };
}
