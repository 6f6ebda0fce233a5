/**
 * `POST /api/v1/resolve`: many `{ref, selector}` in one round trip, each answered with the
 * chosen version, its digest and content, or a per-item error. A request of the wrong shape
 * (an item that is not an object, a `ref` that is not a string, a `selector` that is neither
 * a string nor absent/null) is a client bug and fails the whole batch with 400 naming the item.
 */
import { Router } from 'express';
import { parseRef } from '../../compiler/index.js';
import { badRequest } from '../errors.js';
import { stringParam } from './params.js';
import type { Auth } from './scope.js';
import type { Store } from '../store.js';

/** Most references one batch may hold. */
export const MAX_BATCH = 1000;

import type { ResolveItem } from '../../client/index.js';
export type { ResolveItem };

/** The router of `POST /api/v1/resolve` (mounted under `/api/v1`). */
export function resolveRoutes({ store, auth }: { store: Store; auth: Auth }): Router {
  const r = Router();
  r.post('/resolve', auth('read'), (req, res) => {
    const body = req.body as { requests?: unknown } | undefined;
    if (!body || !Array.isArray(body.requests)) throw badRequest("the body needs 'requests': [{ref, selector}]");
    if (body.requests.length > MAX_BATCH) throw badRequest(`at most ${MAX_BATCH} references per batch`);
    const items = body.requests.map((item: unknown, i) => requestItem(item, i));
    const results: ResolveItem[] = items.map(({ ref, selector }) => {
      if (!parseRef(ref))
        return { ok: false, ref, selector, error: { code: 'bad_request', message: `'${ref}' is not a template reference` } };
      const sel = store.select(ref, selector);
      if (!sel.ok) {
        return sel.versions
          ? { ok: false, ref, selector, error: { code: 'no_version', message: `${ref}: ${sel.reason}` }, versions: sel.versions }
          : { ok: false, ref, selector, error: { code: 'not_found', message: sel.reason } };
      }
      const v = store.getVersion(ref, sel.version);
      return {
        ok: true,
        ref,
        selector,
        version: v.version,
        digest: v.digest,
        source: v.source,
        yanked: v.yanked,
        ...(v.deprecation ? { deprecation: v.deprecation } : {}),
      };
    });
    res.json({ results });
  });
  return r;
}

/** One `{ref, selector}` of a batch, checked for shape (not for meaning: that is per item). */
function requestItem(item: unknown, i: number): { ref: string; selector: string } {
  if (!item || typeof item !== 'object' || Array.isArray(item)) throw badRequest(`requests[${i}] must be an object {ref, selector}`);
  const o = item as { ref?: unknown; selector?: unknown };
  const ref = stringParam(o.ref, `requests[${i}].ref`);
  const selector = o.selector === undefined || o.selector === null ? '' : stringParam(o.selector, `requests[${i}].selector`);
  return { ref, selector };
}
