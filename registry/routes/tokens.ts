/**
 * The admin token API: `GET /api/v1/tokens` lists tokens (never a secret or hash) and
 * `POST /api/v1/tokens/{id}/revoke` revokes one; both need an admin token. Creation stays
 * on the command line (`registry token create`), next to the database.
 */
import { Router, type RequestHandler } from 'express';
import type { Scope } from '../auth.js';
import { busyErrors, retryWhileBusy } from '../busy.js';
import { badRequest } from '../errors.js';
import type { Store } from '../store.js';
import { listTokens, revokeToken, TOKEN_ID } from '../tokens.js';

export function tokenRoutes({ store, auth }: { store: Store; auth: (scope: Scope) => RequestHandler }): Router {
  const r = Router();
  r.get('/api/v1/tokens', auth('admin'), (_req, res) => {
    res.json({ tokens: listTokens(store.db) });
  });
  r.post('/api/v1/tokens/:id/revoke', auth('admin'), async (req, res) => {
    const id = String(req.params['id']);
    if (!TOKEN_ID.test(id)) throw badRequest(`'${id}' is not a token id (12 hex digits, as in pw_<id>_…)`);
    const actor = req.principal?.name ?? 'unknown';
    const { token } = await retryWhileBusy(store.db, () =>
      store.db
        .transaction(() => {
          const out = revokeToken(store.db, id);
          if (out.revoked) store.record(actor, 'token-revoke', { id, name: out.token.name });
          return out;
        })
        .immediate(),
    );
    res.json(token);
  });
  r.use(busyErrors);
  return r;
}
