/**
 * Token lifecycle: revocation and expiry honoured by every running server within 1 s, the
 * last-used time, `registry token list|revoke` and the admin API.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { principalOfTokenId } from '../../registry/auth.js';
import { createToken, openDatabase, verifyToken } from '../../registry/index.js';
import { tempDir } from '../helpers.js';

const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function twoConnections() {
  const file = join(tempDir({}, 'pw-tok-'), 'r.db');
  const a = openDatabase(file);
  const b = openDatabase(file);
  open.push(a, b);
  return { file, a, b };
}

const idOf = (token: string) => token.split('_')[1]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('principal of a token id (sessions contract)', () => {
  test('a live token id gives its principal with the id; unknown, revoked and expired ids give undefined', async () => {
    const { a, b } = twoConnections();
    const t = createToken(a, 'ci', 'publish');
    expect(verifyToken(b, t)).toEqual({ id: idOf(t), name: 'ci', scope: 'publish' });
    expect(principalOfTokenId(b, idOf(t))).toEqual({ id: idOf(t), name: 'ci', scope: 'publish' });
    expect(principalOfTokenId(b, '000000000000')).toBeUndefined();
    expect(principalOfTokenId(b, 'not an id')).toBeUndefined();

    a.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), idOf(t));
    await sleep(1000);
    expect(principalOfTokenId(b, idOf(t))).toBeUndefined();
    expect(verifyToken(b, t)).toBeUndefined();

    const past = createToken(a, 'old', 'read', new Date(Date.now() - 3_600_000), new Date(Date.now() - 1000));
    expect(principalOfTokenId(b, idOf(past))).toBeUndefined();
    expect(verifyToken(b, past)).toBeUndefined();
  });

  test('sessions table cascades when its token is deleted', () => {
    const { a } = twoConnections();
    const t = createToken(a, 'web', 'read');
    const now = new Date().toISOString();
    a.prepare('INSERT INTO sessions (id, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run('ab'.repeat(32), idOf(t), 'c', now, now);
    a.prepare('DELETE FROM tokens WHERE id = ?').run(idOf(t));
    expect(a.prepare('SELECT count(*) n FROM sessions').get()).toEqual({ n: 0 });
  });
});
