/**
 * The registry prepares a built-in template before it listens, so the first publish does not
 * block every other request while the compiler's parts load (the hostile suite's /healthz
 * monitor measures the latency); the warm-up never writes to the database.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startRegistry } from '../../registry/index.js';
import { tempDir } from '../helpers.js';

test('starting a registry stores nothing: no template, no event', async () => {
  const reg = await startRegistry({ db: join(tempDir(), 'r.db'), port: 0, log: () => undefined });
  try {
    expect(reg.store.listTemplates()).toEqual([]);
    expect(reg.store.events()).toEqual([]);
  } finally {
    await reg.close();
  }
});
