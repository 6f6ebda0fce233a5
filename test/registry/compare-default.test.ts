/**
 * The template page's "Compare versions" form defaults to older → newer (issue 16, point
 * 13): the selected version against the one before it, or, for the oldest, against the next.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

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
    const { dir, reg, cli } = await live({ anonymousRead: true });
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      writeFileSync(join(dir, `${v}.yaml`), stepTemplate('c', v, {}));
      expect((await cli('template', 'publish', `${v}.yaml`)).code).toBe(0);
    }
    const html = await (await fetch(`${reg.url}/templates/account.c${query}`)).text();
    expect(selectedPair(html)).toEqual(pair);
  });
});
