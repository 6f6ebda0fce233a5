/**
 * The catalog: server-rendered pages for finding, understanding and adopting templates
 * (`/`, `/templates/{ref}`, `/templates/{ref}/diff`), with Handlebars views (views.ts: template
 * content is always text), one CSS file and one small script (the pages work without it),
 * under a Content-Security-Policy without inline scripts.
 *
 * Pages need a reader like the API unless the server allows anonymous reads: a bearer token,
 * or a browser signed in on the sign-in page (signin.ts: a server-side session; the cookie
 * never holds the token).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { stringify } from 'yaml';
import { verifyToken } from './auth.js';
import { diffVersions } from './diff.js';
import type { InputDecl } from '../compiler/index.js';
import { toApiError } from './errors.js';
import { queryString, refParam, versionParam } from './routes/params.js';
import { sessionStore } from './session.js';
import { loginPage, safeNext, sessionOf, signinRoutes } from './signin.js';
import type { Store, TemplateSummary } from './store.js';
import { assetDir, pageSender } from './views.js';

export { CSP } from './views.js';

/** Template types the catalog filters by (every type the registry publishes). */
const TYPES = ['Step', 'StepGroup', 'Stage', 'Pipeline', 'CustomDeployment', 'ArtifactSource', 'MonitoredService', 'SecretManager'];
/** Templates per catalog page: keeps a page light with thousands of templates. */
export const PAGE_SIZE = 100;

export function pageRoutes(opts: { store: Store; anonymousRead: boolean }): Router {
  const { store } = opts;
  const page = pageSender((res) => {
    const s = sessionOf(res);
    return s && { name: s.principal.name, csrf: s.csrf };
  });
  const r = Router();
  const staticDir = assetDir('static');
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const [file, type] of [
    ['catalog.css', 'text/css; charset=utf-8'],
    ['catalog.js', 'text/javascript; charset=utf-8'],
  ] as const) {
    assets.set(file, { type, body: readFileSync(join(staticDir, file)) });
  }
  const badges = new Map<string, { background: boolean; readiness: boolean }>();

  r.get('/static/:file', (req, res) => {
    const a = assets.get(String(req.params['file']));
    if (!a) return page(res, 404, 'error', 'Not found', { title: 'Not found', message: 'No such file.' });
    res.setHeader('Content-Type', a.type);
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.end(a.body);
  });

  r.use(signinRoutes({ db: store.db, sessions: sessionStore(store.db), send: page }));

  // Every page below needs a reader.
  r.use((req: Request, res: Response, next: NextFunction) => {
    if (!['/', '/templates'].some((p) => req.path === p || req.path.startsWith('/templates/'))) return next();
    if (opts.anonymousRead) return next();
    if (sessionOf(res)) return next();
    const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (header && verifyToken(store.db, header)) return next();
    loginPage(req, res, page, 401, { next: safeNext(req.originalUrl) });
  });

  r.get('/', (req, res) => {
    const q = queryString(req.query['q']) ?? '';
    const type = queryString(req.query['type']) ?? '';
    const label = queryString(req.query['label']) ?? '';
    const list = store.listTemplates({ ...(q ? { q } : {}), ...(TYPES.includes(type) ? { type } : {}), ...(label ? { label } : {}) });
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    const n = Math.min(pages, Math.max(1, Number.parseInt(queryString(req.query['page']) ?? '1', 10) || 1));
    const templates = list.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE).map((t) => ({ ...t, ...badgesOf(t) }));
    const link = (p: number) =>
      '/?' +
      new URLSearchParams({ ...(q ? { q } : {}), ...(type ? { type } : {}), ...(label ? { label } : {}), page: String(p) }).toString();
    page(res, 200, 'catalog', 'Templates', {
      q,
      label,
      templates,
      total: list.length,
      one: list.length === 1,
      types: TYPES.map((value) => ({ value, selected: value === type })),
      ...(pages > 1
        ? { pager: { page: n, pages, ...(n > 1 ? { prev: link(n - 1) } : {}), ...(n < pages ? { next: link(n + 1) } : {}) } }
        : {}),
    });
  });

  const badgesOf = (t: TemplateSummary) => {
    if (!t.latest) return { background: false, readiness: false };
    const v = store.getVersion(t.ref, t.latest);
    let b = badges.get(v.digest);
    if (!b) {
      b = {
        background: v.canonical.includes('"type":"Background"') || v.canonical.includes('"serviceDependencies":[{'),
        readiness: v.canonical.includes('"readiness":'),
      };
      badges.set(v.digest, b);
    }
    return b;
  };

  r.get('/templates/:ref', (req, res) => {
    const ref = refParam(req.params['ref']);
    const t = store.getTemplate(ref);
    const selected = versionParam(queryString(req.query['version']) ?? t.summary.latest ?? t.versions[t.versions.length - 1]?.version);
    const v = store.getVersion(ref, selected);
    const decls = JSON.parse(v.inputs) as Record<string, InputDecl>;
    const inputs = Object.entries(decls).map(([name, d]) => ({
      name,
      type: d.type,
      hasDefault: d.default !== undefined,
      default: JSON.stringify(d.default),
      allowed: d.allowedValues ? d.allowedValues.map(String).join(', ') : '',
      regex: d.regex ?? '',
      required: d.default === undefined && d.required !== false,
      description: d.description ?? '',
    }));
    const example: Record<string, unknown> = {};
    for (const i of inputs)
      if (i.required)
        example[i.name] =
          decls[i.name]!.allowedValues?.[0] ??
          ({ number: 0, boolean: false, array: [], object: {}, steps: [], stages: [] } as Record<string, unknown>)[i.type] ??
          `<${i.name}>`;
    const snippet = stringify({
      template: { templateRef: ref, versionLabel: selected, ...(Object.keys(example).length ? { inputs: example } : {}) },
    });
    const versions = [...t.versions].reverse().map((x, i, all) => ({
      ...x,
      short: x.digest.slice(0, 19) + '…',
      selected: x.version === selected,
      isTo: x.version === selected,
      isFrom: all.length > 1 ? i === Math.min(1, all.length - 1) && x.version !== selected : false,
    }));
    page(res, 200, 'template', t.summary.name, {
      t: t.summary,
      labels: Object.entries(t.summary.labels).map(([name, version]) => ({ name, version })),
      versions,
      selected,
      inputs,
      snippet,
      source: v.source,
    });
  });

  r.get('/templates/:ref/diff', (req, res) => {
    const ref = refParam(req.params['ref']);
    const from = versionParam(queryString(req.query['from']));
    const to = versionParam(queryString(req.query['to']));
    const d = diffVersions(store.getVersion(ref, from), store.getVersion(ref, to));
    // Too large: the page says so (with both digests) instead of showing the file headers.
    const lines = d.tooLarge
      ? []
      : d.patch.split('\n').map((text) => ({
          text,
          kind: text.startsWith('@@') ? 'hunk' : text.startsWith('+') ? 'add' : text.startsWith('-') ? 'del' : 'ctx',
        }));
    const defaults = d.inputs.defaultChanged.map((c) => ({ name: c.name, from: JSON.stringify(c.from), to: JSON.stringify(c.to) }));
    page(res, 200, 'diff', `${ref} ${from} → ${to}`, { ref, from, to, inputs: d.inputs, defaults, lines, tooLarge: d.tooLarge });
  });

  // Page errors render as pages, not JSON; client mistakes caught by express (a malformed
  // percent-encoding in the path) too. Unexpected errors go on to be logged.
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = toApiError(err);
    if (req.path.startsWith('/api/') || e.code === 'internal') return next(err);
    const title = e.status === 404 ? 'Not found' : 'Error';
    if (e.headers) res.set(e.headers);
    page(res, e.status, 'error', title, { title, message: e.message });
  });
  return r;
}
