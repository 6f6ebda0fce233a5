/**
 * One lockfile per folder (issue 13, points 1 and 2): every pipeline of a folder shares its
 * `pipewright.lock`; compiling one adds its entries and never drops another's; `lock` locks
 * every pipeline of the folder and `--prune` drops what none uses; `outdated FILE` lists that
 * file's references only; `lock` applies compile's rules (sunset, yanked, deprecation).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { onePipeline, runCli } from '../helpers.js';
import { closeRegistries, registryFolder, uses } from './registry-folder.js';

afterEach(closeRegistries);

/** A registry with templates a, b and c at 1.0.0, and a folder with a.yaml (uses a) and b.yaml (uses b). */
async function setup() {
  const f = await registryFolder({ 'a.yaml': uses('a'), 'b.yaml': uses('b'), 'docker-compose.yaml': 'services:\n  db: {image: redis}\n' });
  const lockText = () => readFileSync(join(f.dir, 'pipewright.lock'), 'utf8');
  const keys = () => Object.keys((JSON.parse(lockText()) as { templates: object }).templates);
  return { ...f, lockText, keys };
}

describe('one lockfile per folder', () => {
  test('compiling one pipeline keeps the entries of the others; frozen compiles of each pass', async () => {
    const { cli, keys } = await setup();
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    expect((await cli('compile', 'b.yaml')).code).toBe(0);
    expect(keys()).toEqual(['account.a@^1', 'account.b@^1']);
    const frozen = await cli('compile', 'a.yaml', '--frozen-lockfile');
    expect(frozen.code, frozen.stderr).toBe(0);
    expect((await cli('compile', 'b.yaml', '--frozen-lockfile')).code).toBe(0);
  });

  test('the file is the same bytes whatever order the pipelines were compiled in, one line per reference', async () => {
    const one = await setup();
    await one.cli('compile', 'a.yaml');
    await one.cli('compile', 'b.yaml');
    const two = await setup();
    await two.cli('compile', 'b.yaml');
    await two.cli('compile', 'a.yaml');
    const text = one.lockText();
    expect(text.replace(/sha256:[0-9a-f]{64}/g, 'D')).toBe(two.lockText().replace(/sha256:[0-9a-f]{64}/g, 'D'));
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes('"account.a@^1"'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('"account.a@^1"'))).toMatch(
      /^ {4}"account\.a@\^1": \{"digest": "sha256:[0-9a-f]{64}", "ref": "account\.a", "selector": "\^1", "version": "1\.0\.0"\},$/,
    );
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ lockfileVersion: 1 });
  });

  test('lock writes entries for every pipeline of the folder and skips YAML that is not a pipeline', async () => {
    const { cli, keys } = await setup();
    const r = await cli('lock', 'a.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(keys()).toEqual(['account.a@^1', 'account.b@^1']);
    expect(r.stdout).toMatch(/a\.yaml.*\n?.*b\.yaml|2 pipelines/s);
    const dirArg = await cli('lock', '.');
    expect(dirArg.code).toBe(0);
    expect(dirArg.stdout).toMatch(/is up to date/);
  });

  test('lock keeps entries no pipeline uses (and says so); lock --prune drops them', async () => {
    const { dir, cli, keys } = await setup();
    expect((await cli('lock', '.')).code).toBe(0);
    writeFileSync(join(dir, 'b.yaml'), uses('c'));
    const kept = await cli('lock', '.');
    expect(kept.code).toBe(0);
    expect(keys()).toEqual(['account.a@^1', 'account.b@^1', 'account.c@^1']);
    expect(kept.stdout).toMatch(/1 entr(y|ies) no pipeline uses: account\.b@\^1 \(lock --prune drops/);
    const pruned = await cli('lock', '.', '--prune');
    expect(pruned.code).toBe(0);
    expect(keys()).toEqual(['account.a@^1', 'account.c@^1']);
    expect(pruned.stdout).toMatch(/dropped account\.b@\^1/);
  });

  test('lock does not change the lock when a pipeline of the folder does not compile, naming it', async () => {
    const { dir, cli, lockText } = await setup();
    expect((await cli('lock', '.')).code).toBe(0);
    const before = lockText();
    writeFileSync(join(dir, 'b.yaml'), uses('nope'));
    const r = await cli('lock', '.', '--prune');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/b\.yaml:\d+:\d+: error PW4001/);
    expect(r.stderr).toMatch(/not changed/);
    expect(lockText()).toBe(before);
  });

  test("outdated FILE lists that file's references only; a folder lists all", async () => {
    const { cli } = await setup();
    await cli('compile', 'a.yaml');
    await cli('compile', 'b.yaml');
    const a = await cli('outdated', 'a.yaml');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^account\.a\s/m);
    expect(a.stdout).not.toMatch(/account\.b/);
    const all = await cli('outdated', '.');
    expect(all.stdout).toMatch(/^account\.a\s/m);
    expect(all.stdout).toMatch(/^account\.b\s/m);
  });
});

describe('--frozen-lockfile on a fresh CI runner', () => {
  test('with a registry and an empty cache, locked versions are fetched by exact version and checked; the lock is never written', async () => {
    const { dir, cli, lockText, url, token } = await setup();
    expect((await cli('lock', '.')).code).toBe(0);
    const before = lockText();
    const fresh = { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'fresh-cache'), PIPEWRIGHT_REGISTRY: '', PIPEWRIGHT_TOKEN: '' };
    const args = (f: string) => ['compile', f, '--frozen-lockfile', '--registry', url, '--token', token];
    const r = await runCli(args('a.yaml'), dir, { env: fresh });
    expect(r.code, r.stderr).toBe(0);
    expect(lockText()).toBe(before);
    // A reference the lock does not hold is still refused, without asking the registry to resolve it.
    writeFileSync(join(dir, 'a.yaml'), uses('a', 'c'));
    const unlocked = await runCli(args('a.yaml'), dir, { env: fresh });
    expect(unlocked.code).toBe(2);
    expect(unlocked.stderr).toMatch(/PW4008 .*account\.c@\^1 is not in pipewright\.lock \(--frozen-lockfile\)/);
    expect(lockText()).toBe(before);
  });

  test('without a registry, an empty cache is still a clear PW4008', async () => {
    const { dir, cli } = await setup();
    expect((await cli('lock', '.')).code).toBe(0);
    const r = await runCli(['compile', 'a.yaml', '--frozen-lockfile'], dir, {
      env: { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'fresh-cache'), PIPEWRIGHT_REGISTRY: '', PIPEWRIGHT_TOKEN: '' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PW4008 .*is not in the template cache/);
  });
});

describe('a lock entry is trusted only as far as it can be checked', () => {
  test('with a registry, --frozen-lockfile applies sunset rules even when the cache holds the version', async () => {
    const { cli } = await setup();
    expect((await cli('compile', 'a.yaml')).code).toBe(0); // locks and caches account.a@1.0.0
    expect((await cli('template', 'deprecate', 'account.a@1.0.0', '--message', 'gone', '--sunset', '2020-01-01')).code).toBe(0);
    const r = await cli('compile', 'a.yaml', '--frozen-lockfile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error PW4010 account\.a@1\.0\.0 is past its sunset date 2020-01-01/);
  });

  test('an entry whose version its selector does not accept is refused (online and frozen)', async () => {
    const { dir, cli, lockText } = await setup();
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    writeFileSync(join(dir, 'pipewright.lock'), lockText().replace(/\^1/g, '^2'));
    writeFileSync(join(dir, 'a.yaml'), uses('a').replace('^1', '^2'));
    for (const extra of [[], ['--frozen-lockfile']]) {
      const r = await cli('compile', 'a.yaml', ...extra);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /PW4008 pipewright\.lock: account\.a@\^2 is locked to 1\.0\.0, which \^2 does not accept; run pipewright lock/,
      );
    }
  });

  test("offline, cached content under an entry's digest must name the entry's template and version", async () => {
    const { dir, cli, lockText } = await setup();
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    expect((await cli('compile', 'b.yaml')).code).toBe(0);
    const lock = JSON.parse(lockText()) as { templates: Record<string, { digest: string }> };
    // Point account.a's entry at account.b's (cached, genuine) content.
    writeFileSync(
      join(dir, 'pipewright.lock'),
      lockText().replace(lock.templates['account.a@^1']!.digest, lock.templates['account.b@^1']!.digest),
    );
    const offline = { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'cache'), PIPEWRIGHT_REGISTRY: '', PIPEWRIGHT_TOKEN: '' };
    const r = await runCli(['compile', 'a.yaml', '--frozen-lockfile'], dir, { env: offline });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tampered cache entry: account\.a@1\.0\.0: the content \(sha256:[0-9a-f]+\) is account\.b@1\.0\.0/);
  });
});

describe("audit's locked rule agrees with --frozen-lockfile", () => {
  test('a version the lock holds only under another selector is not pinned for this reference', async () => {
    const { dir, cli } = await setup();
    writeFileSync(
      join(dir, 'policy.yaml'),
      'policy:\n  name: p\n  rules:\n    - id: pinned\n      scope: pipeline\n      require: {locked: true}\n',
    );
    expect((await cli('lock', '.')).code).toBe(0);
    const clean = await cli('audit', 'a.yaml', '--policy', 'policy.yaml');
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    // account.a@^1 → 1.0.0 is locked; the exact reference account.a@1.0.0 is not.
    writeFileSync(
      join(dir, 'a.yaml'),
      onePipeline(
        '              - step: {name: s, identifier: s, template: {templateRef: account.a, versionLabel: 1.0.0}}\n              - step: {name: t, identifier: t, template: {templateRef: account.a, versionLabel: ^1}}\n',
      ),
    );
    expect((await cli('compile', 'a.yaml', '--frozen-lockfile')).code).toBe(2);
    const r = await cli('audit', 'a.yaml', '--policy', 'policy.yaml', '--format', 'json');
    expect(r.code).toBe(1);
    const v = (JSON.parse(r.stdout) as { results: { violations: { rule: string; message: string }[] }[] }).results[0]!.violations;
    expect(v.map((x) => x.rule)).toEqual(['pinned']);
    expect(v[0]!.message).toMatch(/account\.a@1\.0\.0 is not pinned/);
  });
});

describe('lock applies the rules compile applies', () => {
  test('a version past its sunset is PW4010 for lock as for compile (lock unchanged); --allow-sunset warns', async () => {
    const { dir, cli } = await setup();
    expect((await cli('template', 'deprecate', 'account.a@1.0.0', '--message', 'gone', '--sunset', '2020-01-01')).code).toBe(0);
    const lock = await cli('lock', 'a.yaml');
    const compile = await cli('compile', 'a.yaml');
    expect(compile.code).toBe(2);
    expect(lock.code).toBe(2);
    const pw4010 = (s: string) => s.split('\n').find((l) => l.includes('PW4010'));
    expect(pw4010(lock.stderr)).toBeDefined();
    expect(pw4010(lock.stderr)).toBe(pw4010(compile.stderr));
    expect(() => readFileSync(join(dir, 'pipewright.lock'))).toThrow();
    const allowed = await cli('lock', 'a.yaml', '--allow-sunset');
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(
      /a\.yaml:\d+:\d+: warning PW4009 account\.a@1\.0\.0 is deprecated and past its sunset date 2020-01-01 \(used because of --allow-sunset\): gone/,
    );
  });

  test('deprecation and yanked warnings are printed by lock as by compile', async () => {
    const { dir, cli } = await setup();
    expect((await cli('template', 'deprecate', 'account.b@1.0.0', '--message', 'use c')).code).toBe(0);
    writeFileSync(
      join(dir, 'a.yaml'),
      onePipeline('              - step: {name: s, identifier: s, template: {templateRef: account.a, versionLabel: 1.0.0}}\n'),
    );
    expect((await cli('template', 'yank', 'account.a@1.0.0')).code).toBe(0);
    const lock = await cli('lock', '.');
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toMatch(/b\.yaml:\d+:\d+: warning PW4009 account\.b@1\.0\.0 is deprecated: use c/);
    expect(lock.stderr).toMatch(/a\.yaml:\d+:\d+: warning PW4011 account\.a@1\.0\.0 is yanked/);
  });
});
