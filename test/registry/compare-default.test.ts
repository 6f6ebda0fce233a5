/**
 * The template page's "Compare versions" form defaults to older → newer (issue 16, point
 * 13): the selected version against the one before it, or, for the oldest, against the next.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { runCli, tempDir } from '../helpers.js';
import { stepTemplate } from './fixtures.js';

const running: RunningRegistry[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** The versions the form's From and To select. */
function selectedPair(html: string): { from: string; to: string } {
  const pick = (id: string) => new RegExp(`<select id="${id}"[^>]*>.*?<option selected>([^<]+)</option>`, 's').exec(html)?.[1] ?? '';
  return { from: pick('from'), to: pick('to') };
}

describe('compare versions', () => {
  test.each([
    ['', { from: '1.1.0', to: '1.2.0' }],
    ['?version=1.1.0', { from: '1.0.0', to: '1.1.0' }],
    ['?version=1.0.0', { from: '1.0.0', to: '1.1.0' }],
  ])('the page%s preselects older → newer', async (query, pair) => {
    const dir = tempDir({}, 'pw-compare-');
    const reg = await startRegistry({ db: join(dir, 'r.db'), port: 0, anonymousRead: true, log: () => undefined });
    running.push(reg);
    const admin = createToken(reg.db, 'boss', 'admin');
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      writeFileSync(join(dir, `${v}.yaml`), stepTemplate('c', v, {}));
      expect((await runCli(['template', 'publish', `${v}.yaml`, '--registry', reg.url, '--token', admin], dir)).code).toBe(0);
    }
    const html = await (await fetch(`${reg.url}/templates/account.c${query}`)).text();
    expect(selectedPair(html)).toEqual(pair);
  });
});
