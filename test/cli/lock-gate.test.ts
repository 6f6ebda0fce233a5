/**
 * The folder's lock as a shared, gated file: compiles running at the same moment (real
 * processes) each keep every entry, because the read-merge-write happens under
 * `pipewright.lock.lock`; the lock is written through a symlink, a folder is refused and no
 * temporary file is left behind; `outdated` exits 1 when an entry is not `ok` (update in
 * range, deprecated, past sunset, yanked, not locked, not in registry).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { updateLockfile, type Lockfile } from '../../compiler/index.js';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { REPO, tempDir, type CliRun } from '../helpers.js';
import { stepTemplate } from '../registry/fixtures.js';
import { closeRegistries, registryFolder, uses } from './registry-folder.js';

/** Registries a test starts beside the folder's own. */
const running: RunningRegistry[] = [];
afterEach(async () => {
  await closeRegistries();
  for (const r of running.splice(0)) await r.close();
});

const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A registry holding `names` at 1.0.0 and a folder with one pipeline `<name>.yaml` using each. */
async function setup(names = ['a', 'b', 'c']) {
  const f = await registryFolder(Object.fromEntries(names.map((n) => [`${n}.yaml`, uses(n)])), names);
  const cli = (...args: string[]) => f.cli(...args).catch((e: Error): CliRun => ({ code: -1, stdout: '', stderr: `threw: ${e.message}` }));
  const keys = (file = join(f.dir, 'pipewright.lock')) => Object.keys((JSON.parse(readFileSync(file, 'utf8')) as Lockfile).templates);
  return { dir: f.dir, env: f.env, cli, keys };
}

/** `pipewright ...args` as a real process. */
function cliProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** A lock holding `n` entries of other pipelines (a big shared lock makes each write slower). */
function fillerLock(n: number): Lockfile {
  const templates: Lockfile['templates'] = {};
  for (let i = 0; i < n; i++)
    templates[`account.other${i}@^1`] = { digest: DIGEST, ref: `account.other${i}`, selector: '^1', version: '1.0.0' };
  return { lockfileVersion: 1, templates };
}

/** What is left beside the lock besides the pipelines' own files: guards and temporary files. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => /\.tmp$|\.lock\.lock/.test(f));

describe('compiles of one folder running at the same moment (real processes)', () => {
  test('4 pipelines compiled at once, 10 rounds: every round keeps every entry', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const { dir, env, keys } = await setup(names);
    const filler = fillerLock(5000);
    const lost: string[] = [];
    for (let round = 0; round < 10; round++) {
      // Even rounds start from a lock full of other pipelines' entries, odd ones from none.
      rmSync(join(dir, 'pipewright.lock'), { force: true });
      if (round % 2 === 0) writeFileSync(join(dir, 'pipewright.lock'), JSON.stringify(filler));
      const runs = await Promise.all(names.map((n) => cliProcess(['compile', `${n}.yaml`], dir, env)));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const got = new Set(keys());
      const missing = [...names.map((n) => `account.${n}@^1`), ...(round % 2 === 0 ? Object.keys(filler.templates) : [])].filter(
        (k) => !got.has(k),
      );
      if (missing.length) lost.push(`round ${round}: lost ${missing.length} (${missing.slice(0, 3).join(', ')}…)`);
      expect(leftovers(dir)).toEqual([]);
    }
    expect(lost).toEqual([]);
  }, 60_000);
});

describe('the guard beside the lock (pipewright.lock.lock)', () => {
  test('a guard whose process is gone is taken over at once', async () => {
    const { dir, cli, keys } = await setup(['a']);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'pipewright.lock.lock'), JSON.stringify({ pid: gone, host: hostname(), time: Date.now() }));
    const started = Date.now();
    const r = await cli('compile', 'a.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(keys()).toEqual(['account.a@^1']);
    expect(existsSync(join(dir, 'pipewright.lock.lock'))).toBe(false);
  });

  test('a guard older than 30 s is taken over, whichever host wrote it', async () => {
    const { dir, cli, keys } = await setup(['a']);
    writeFileSync(join(dir, 'pipewright.lock.lock'), JSON.stringify({ pid: process.pid, host: 'another-host', time: Date.now() - 60_000 }));
    const r = await cli('compile', 'a.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(keys()).toEqual(['account.a@^1']);
    expect(existsSync(join(dir, 'pipewright.lock.lock'))).toBe(false);
  });

  test('a compile waits for a guard held by a live process, then writes', async () => {
    const { dir, env, keys } = await setup(['a']);
    const guard = join(dir, 'pipewright.lock.lock');
    const holder = `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(guard)}, JSON.stringify({ pid: process.pid, host: require('os').hostname(), time: Date.now() }), { flag: 'wx' }); console.log('held'); setTimeout(() => fs.unlinkSync(${JSON.stringify(guard)}), 1500);`;
    const child = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const started = Date.now();
    const r = await cliProcess(['compile', 'a.yaml'], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(keys()).toEqual(['account.a@^1']);
    // The compile (a process start, a compile) may begin writing after part of the 1.5 s has gone by.
    expect(Date.now() - started).toBeGreaterThan(700);
  });

  test('a guard held past the timeout fails the update with a message naming the guard; nothing is written', () => {
    const dir = tempDir({}, 'pw-gate-');
    const lock = join(dir, 'pipewright.lock');
    writeFileSync(join(dir, 'pipewright.lock.lock'), JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }));
    const started = Date.now();
    expect(() => updateLockfile(lock, () => fillerLock(1), { timeoutMs: 300 })).toThrow(/pipewright\.lock\.lock.*held by process \d+/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir)).toEqual(['pipewright.lock.lock']);
  });
});

describe('where the lock is written', () => {
  test('a symlinked pipewright.lock stays a symlink: the lock is written through it', async () => {
    const { dir, cli, keys } = await setup(['a', 'b']);
    mkdirSync(join(dir, 'shared'));
    symlinkSync(join('shared', 'pipewright.lock'), join(dir, 'pipewright.lock'));
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    expect((await cli('compile', 'b.yaml')).code).toBe(0);
    expect(lstatSync(join(dir, 'pipewright.lock')).isSymbolicLink()).toBe(true);
    expect(keys(join(dir, 'shared', 'pipewright.lock'))).toEqual(['account.a@^1', 'account.b@^1']);
    const relock = await cli('lock', '.', '--prune');
    expect(relock.code, relock.stderr).toBe(0);
    expect(lstatSync(join(dir, 'pipewright.lock')).isSymbolicLink()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
    expect(leftovers(join(dir, 'shared'))).toEqual([]);
  });

  test('--lockfile naming a folder is exit 2 saying so, and leaves no temporary file', async () => {
    const { dir, cli } = await setup(['a']);
    mkdirSync(join(dir, 'somedir'));
    for (const args of [
      ['compile', 'a.yaml'],
      ['lock', 'a.yaml'],
      ['outdated', 'a.yaml'],
    ]) {
      const r = await cli(...args, '--lockfile', 'somedir');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/somedir.* is a folder, not a lockfile/);
      expect(readdirSync(dir).filter((f) => f.startsWith('somedir'))).toEqual(['somedir']);
      expect(readdirSync(join(dir, 'somedir'))).toEqual([]);
    }
  });
});

describe('outdated as a gate', () => {
  const row = (out: string, ref: string) =>
    out
      .split('\n')
      .find((l) => l.startsWith(`account.${ref} `))
      ?.replace(/\s+/g, ' ');

  test('exit 0 when every entry is ok; exit 1 for an update in range, deprecated, past sunset or yanked (with --json too)', async () => {
    const { dir, cli } = await setup();
    expect((await cli('lock', '.')).code).toBe(0);
    const ok = await cli('outdated', '.');
    expect(ok.code, ok.stderr).toBe(0);
    expect(row(ok.stdout, 'a')).toBe('account.a ^1 1.0.0 1.0.0 1.0.0 ok');

    writeFileSync(join(dir, 'a2.tpl'), stepTemplate('a', '1.1.0'));
    expect((await cli('template', 'publish', 'a2.tpl')).code).toBe(0);
    const update = await cli('outdated', 'a.yaml');
    expect(row(update.stdout, 'a')).toBe('account.a ^1 1.0.0 1.1.0 1.1.0 update in range');
    expect(update.code).toBe(1);
    expect((await cli('outdated', 'b.yaml')).code).toBe(0);

    expect((await cli('template', 'deprecate', 'account.b@1.0.0', '--message', 'use c')).code).toBe(0);
    expect((await cli('template', 'deprecate', 'account.c@1.0.0', '--message', 'gone', '--sunset', '2020-01-01')).code).toBe(0);
    const all = await cli('outdated', '.');
    expect(all.code).toBe(1);
    expect(row(all.stdout, 'b')).toBe('account.b ^1 1.0.0 1.0.0 1.0.0 deprecated: use c');
    expect(row(all.stdout, 'c')).toMatch(/ past sunset 2020-01-01: gone$/);
    expect((await cli('outdated', 'c.yaml')).code).toBe(1);

    expect((await cli('template', 'yank', 'account.b@1.0.0')).code).toBe(0);
    const json = await cli('outdated', 'b.yaml', '--json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { status: string }[]).map((r) => r.status)).toEqual(['yanked']);
  });

  test("a pipeline whose references are not in the lock lists them as 'not locked' (exit 1), lock or no lock", async () => {
    const { dir, cli } = await setup();
    writeFileSync(join(dir, 'g.yaml'), uses('c'));
    const none = await cli('outdated', 'g.yaml');
    expect(none.code, none.stderr).toBe(1);
    expect(row(none.stdout, 'c')).toBe('account.c ^1 - 1.0.0 1.0.0 not locked');
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    const r = await cli('outdated', 'g.yaml');
    expect(r.code, r.stderr).toBe(1);
    expect(row(r.stdout, 'c')).toBe('account.c ^1 - 1.0.0 1.0.0 not locked');
    expect(r.stdout).not.toMatch(/account\.a/);
  });

  test('a YAML file that is not a pipeline is exit 2 saying so', async () => {
    const { dir, cli } = await setup(['a']);
    writeFileSync(join(dir, 'policy.yaml'), 'policy:\n  name: p\n  rules: []\n');
    expect((await cli('compile', 'a.yaml')).code).toBe(0);
    const r = await cli('outdated', 'policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/policy\.yaml: not a pipeline/);
    expect(r.stderr).not.toMatch(/pipewright\.lock/);
  });

  test("a locked reference the registry no longer has is 'not in registry' (exit 1), for a folder and for a file", async () => {
    const { dir, cli } = await setup(['a', 'b']);
    expect((await cli('lock', '.')).code).toBe(0);
    const other = await startRegistry({ db: join(dir, 'other.db'), port: 0, log: () => undefined });
    running.push(other);
    const token = createToken(other.db, 'boss', 'admin');
    writeFileSync(join(dir, 'b.tpl'), stepTemplate('b', '1.0.0'));
    expect((await cli('template', 'publish', 'b.tpl', '--registry', other.url, '--token', token)).code).toBe(0);
    const at = ['--registry', other.url, '--token', token];
    const folder = await cli('outdated', '.', ...at);
    expect(folder.code, folder.stderr).toBe(1);
    expect(row(folder.stdout, 'a')).toBe('account.a ^1 1.0.0 - - not in registry');
    expect(row(folder.stdout, 'b')).toBe('account.b ^1 1.0.0 1.0.0 1.0.0 ok');
    const file = await cli('outdated', 'a.yaml', ...at);
    expect(file.code, file.stderr).toBe(1);
    expect(row(file.stdout, 'a')).toBe('account.a ^1 1.0.0 - - not in registry');
  });
});
