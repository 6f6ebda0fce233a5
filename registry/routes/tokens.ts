/**
 * The admin token API: `GET /api/v1/tokens` lists tokens (never a secret or hash) and
 * `POST /api/v1/tokens/{id}/revoke` revokes one; both need an admin token. Creation stays
 * on the command line (`registry token create`), next to the database.
 */
import { Router } from 'express';
import { busyErrors } from '../busy.js';
import { badRequest } from '../errors.js';
import type { Store } from '../store.js';
import { TOKEN_ID } from '../tokens.js';
import type { Auth } from './scope.js';

/** The router of `GET /api/v1/tokens` and `POST /api/v1/tokens/{id}/revoke`. */
export function tokenRoutes({ store, auth }: { store: Store; auth: Auth }): Router {
  const r = Router();
  r.get('/api/v1/tokens', auth('admin'), (_req, res) => {
    res.json({ tokens: store.listTokens() });
  });
  r.post('/api/v1/tokens/:id/revoke', auth('admin'), async (req, res) => {
    const id = String(req.params['id']);
    if (!TOKEN_ID.test(id)) throw badRequest(`'${id}' is not a token id (12 hex digits, as in pw_<id>_…)`);
    const actor = req.principal?.name ?? 'unknown';
    const { token } = await store.write(() => store.revokeToken(id, actor));
    res.json(token);
  });
  r.use(busyErrors);
  return r;
}
