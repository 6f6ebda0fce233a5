/**
 * The catalog page (`/`): every template, searchable by text, type and label without
 * JavaScript, `PAGE_SIZE` to a page, with badges for background services and readiness checks.
 */
import type { Router } from 'express';
import type { Store, TemplateSummary } from '../../store.js';
import type { SendPage } from '../../views.js';
import { queryString } from '../params.js';
import { TEMPLATE_TYPES, templateTypeOf } from '../../../compiler/index.js';

/** Template types the catalog filters by (every type the registry publishes). */
const TYPES = TEMPLATE_TYPES;
/** Templates per catalog page: keeps a page light with thousands of templates. */
export const PAGE_SIZE = 100;

/** Adds `GET /` to the catalog's router. */
export function catalogPage(r: Router, { store, page }: { store: Store; page: SendPage }): void {
  // Badges by content digest: content never changes under a digest.
  const badges = new Map<string, { background: boolean; readiness: boolean }>();

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

  r.get('/', (req, res) => {
    const q = queryString(req.query['q']) ?? '';
    const type = queryString(req.query['type']) ?? '';
    const label = queryString(req.query['label']) ?? '';
    const known = templateTypeOf(type);
    const list = store.listTemplates({ ...(q ? { q } : {}), ...(known ? { type: known } : {}), ...(label ? { label } : {}) });
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
}
