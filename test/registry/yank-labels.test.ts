/**
 * A yank deals with the labels pointing at the version (issue 16, point 7): in the same
 * transaction the stored `stable` moves to the highest non-yanked, non-prerelease version
 * (removed when there is none) and every other label is removed; the event and the answer say
 * what happened to each. So `template versions`, the catalog page and `template show REF@LABEL`
 * agree. Unyank gives no label back. A real registry on a real SQLite file, driven over HTTP.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { matching } from './api-table.js';
import { stepTemplate } from './fixtures.js';
import { liveRegistries, type LiveRegistry } from './live-registry.js';

const live = liveRegistries();

/** The parts of the API's answers these tests look at. */
interface Body {
  version?: string;
  yanked?: boolean;
  labels?: Record<string, string> | { moved: { label: string; from: string; to: string }[]; removed: string[] };
  events?: { action: string; version?: string; detail?: unknown }[];
  error?: { message: string };
}

/** A registry holding account.x at `versions` (published in that order) with `labels` set. */
async function registryWith(versions: string[], labels: Record<string, string> = {}): Promise<LiveRegistry> {
  const reg = await live();
  for (const v of versions) {
    writeFileSync(join(reg.dir, `x-${v}.yaml`), stepTemplate('x', v));
    const pub = await reg.cli('template', 'publish', `x-${v}.yaml`);
    expect(pub.code, pub.stderr).toBe(0);
  }
  for (const [label, v] of Object.entries(labels)) expect((await reg.cli('template', 'label', 'account.x', label, v)).code).toBe(0);
  return reg;
}

/** An API call with the admin token: status and JSON body. */
async function call(reg: LiveRegistry, method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(reg.reg.url + path, {
    method,
    headers: { Authorization: `Bearer ${reg.admin}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 ? {} : ((await res.json()) as Body) };
}

const yank = (reg: LiveRegistry, v: string) => call(reg, 'POST', `/api/v1/templates/account.x/versions/${v}/yank`);
const storedLabels = async (reg: LiveRegistry) => (await call(reg, 'GET', '/api/v1/templates/account.x')).body.labels;
const events = async (reg: LiveRegistry) => (await call(reg, 'GET', '/api/v1/events')).body.events!;

/** The catalog page's label list, as `name → version` lines. */
async function catalogLabels(reg: LiveRegistry): Promise<string[]> {
  const res = await fetch(`${reg.reg.url}/templates/account.x`, { headers: { Authorization: `Bearer ${reg.admin}` } });
  expect(res.status).toBe(200);
  const list = /<ul class="labels">(.*?)<\/ul>/s.exec(await res.text())?.[1] ?? '';
  return [...list.matchAll(/<li><span class="badge">([^<]*)<\/span> → ([^<]*)<\/li>/g)].map((m) => `${m[1]} → ${m[2]}`);
}

/** `template show REF[@SELECTOR]`: the version it shows, or its error. */
async function shown(reg: LiveRegistry, text: string): Promise<string> {
  const r = await reg.cli('template', 'show', text);
  return r.code === 0 ? /^# account\.x@(\S+) /.exec(r.stdout)![1]! : `error: ${r.stderr.trim()}`;
}

describe('a yank moves stable back and removes the other labels', () => {
  test('the answer and the event say what happened to each label; the stored labels follow', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0', '1.2.0-rc.1'], {
      stable: '1.1.0',
      canary: '1.1.0',
      beta: '1.1.0',
      next: '1.2.0-rc.1',
    });
    const res = await yank(reg, '1.1.0');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ref: 'account.x', version: '1.1.0', yanked: true, digest: matching(/^sha256:[0-9a-f]{64}$/) });
    expect(res.body.labels).toEqual({ moved: [{ label: 'stable', from: '1.1.0', to: '1.0.0' }], removed: ['beta', 'canary'] });
    expect(await storedLabels(reg)).toEqual({ stable: '1.0.0', next: '1.2.0-rc.1' });
    const last = (await events(reg)).at(-1)!;
    expect(last).toMatchObject({ action: 'yank', version: '1.1.0', detail: { labels: res.body.labels } });
  });

  test('a stored stable with no non-prerelease version left is removed', async () => {
    const reg = await registryWith(['1.0.0-rc.1', '1.0.0-rc.2', '1.0.0'], { stable: '1.0.0' });
    const res = await yank(reg, '1.0.0');
    expect(res.body.labels).toEqual({ moved: [], removed: ['stable'] });
    expect(await storedLabels(reg)).toEqual({});
    expect(await shown(reg, 'account.x')).toMatch(/^error: .*no stable version/);
  });

  test('yanking a version no label points at changes no label', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0'], { stable: '1.0.0', canary: '1.0.0' });
    const res = await yank(reg, '1.1.0');
    expect(res.body.labels).toEqual({ moved: [], removed: [] });
    expect(await storedLabels(reg)).toEqual({ stable: '1.0.0', canary: '1.0.0' });
  });

  test('yanking a yanked version again changes nothing and records nothing', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0'], { stable: '1.1.0', canary: '1.1.0' });
    expect((await yank(reg, '1.1.0')).status).toBe(200);
    const before = await events(reg);
    const again = await yank(reg, '1.1.0');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: '1.1.0', yanked: true, labels: { moved: [], removed: [] } });
    expect(await storedLabels(reg)).toEqual({ stable: '1.0.0' });
    expect(await events(reg)).toEqual(before);
  });

  test('a label cannot be pointed at a yanked version (409)', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0']);
    await yank(reg, '1.1.0');
    const res = await call(reg, 'PUT', '/api/v1/templates/account.x/labels/canary', { version: '1.1.0' });
    expect(res.status).toBe(409);
    expect(res.body.error?.message).toMatch(/yanked/);
  });

  test('unyank gives no label back', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0'], { stable: '1.1.0', canary: '1.1.0' });
    await yank(reg, '1.1.0');
    const res = await call(reg, 'POST', '/api/v1/templates/account.x/versions/1.1.0/unyank');
    expect(res.body.yanked).toBe(false);
    expect(await storedLabels(reg)).toEqual({ stable: '1.0.0' });
    expect((await reg.cli('template', 'unyank', '--help')).stdout).toMatch(/labels are not restored/);
  });
});

describe('template yank from the command line', () => {
  test('prints what happened to the labels; --json prints the answer', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0', '1.2.0-rc.1'], { stable: '1.1.0', canary: '1.1.0', edge: '1.2.0-rc.1' });
    const y = await reg.cli('template', 'yank', 'account.x@1.1.0');
    expect(y.code).toBe(0);
    expect(y.stdout).toBe('yanked account.x@1.1.0; label stable moved 1.1.0 → 1.0.0; label canary removed\n');
    const json = await reg.cli('template', 'yank', 'account.x@1.2.0-rc.1', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: '1.2.0-rc.1', yanked: true, labels: { moved: [], removed: ['edge'] } });
    expect((await reg.cli('template', 'yank', 'account.x@1.2.0-rc.1')).stdout).toBe(
      'account.x@1.2.0-rc.1 was already yanked: nothing changed\n',
    );
  });
});

describe('after a yank, versions, the catalog and show agree', () => {
  test('a stored stable and another label', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0'], { stable: '1.1.0', canary: '1.1.0' });
    expect((await reg.cli('template', 'yank', 'account.x@1.1.0')).code).toBe(0);
    const versions = (await reg.cli('template', 'versions', 'account.x')).stdout;
    expect(versions).toMatch(/^1\.0\.0 .*\[stable\]$/m);
    expect(versions).toMatch(/^1\.1\.0 .*… \S+ yanked$/m);
    expect(versions).not.toContain('[canary]');
    expect(await catalogLabels(reg)).toEqual(['stable → 1.0.0']);
    expect(await shown(reg, 'account.x@canary')).toMatch(/^error: .*no version or label canary/);
    expect(await shown(reg, 'account.x@stable')).toBe('1.0.0');
    expect(await shown(reg, 'account.x')).toBe('1.0.0');
  });

  test('a derived stable (none stored) follows the yank', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0']);
    const res = await yank(reg, '1.1.0');
    expect(res.body.labels).toEqual({ moved: [], removed: [] });
    expect((await reg.cli('template', 'versions', 'account.x')).stdout).toMatch(/^1\.0\.0 .*\[stable\]$/m);
    expect(await catalogLabels(reg)).toEqual(['stable → 1.0.0']);
    expect(await shown(reg, 'account.x')).toBe('1.0.0');
    expect(await shown(reg, 'account.x@stable')).toBe('1.0.0');
  });

  test('a derived stable when only a prerelease is left: the one version show picks', async () => {
    const reg = await registryWith(['1.0.0-rc.1', '1.0.0']);
    await yank(reg, '1.0.0');
    expect(await shown(reg, 'account.x')).toBe('1.0.0-rc.1');
    expect((await reg.cli('template', 'versions', 'account.x')).stdout).toMatch(/^1\.0\.0-rc\.1 .*\[stable\]$/m);
    expect(await catalogLabels(reg)).toEqual(['stable → 1.0.0-rc.1']);
  });
});

describe('labels left on a yanked version by an older registry', () => {
  test('are not shown: versions, the catalog and show agree', async () => {
    const reg = await registryWith(['1.0.0', '1.1.0'], { stable: '1.1.0', canary: '1.1.0' });
    // What a yank did before labels followed it: the version yanked, its labels left in place.
    reg.reg.db.prepare("UPDATE versions SET yanked = 1 WHERE version = '1.1.0'").run();
    expect(await storedLabels(reg)).toEqual({ stable: '1.0.0' });
    expect((await reg.cli('template', 'versions', 'account.x')).stdout).not.toContain('[canary]');
    expect(await catalogLabels(reg)).toEqual(['stable → 1.0.0']);
    expect(await shown(reg, 'account.x@canary')).toMatch(/^error: .*no version or label canary/);
    expect(await shown(reg, 'account.x')).toBe('1.0.0');
  });
});
