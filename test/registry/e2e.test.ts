/**
 * End to end with real processes: `registry serve` on a free port, a token from
 * `registry token create`, `template publish` from the CLI, then `compile` against the
 * registry twice — the second time offline with --frozen-lockfile and the server stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';
import { killChildren, serveProcess } from './serve.js';

afterEach(killChildren);

const BIN = join(REPO, 'dist', 'cli', 'bin.js');

describe('registry end to end', () => {
  test('serve, token, publish, compile online then offline from the lockfile', async () => {
    const dir = tempDir({}, 'pw-e2e-');
    const env = { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'cache'), PIPEWRIGHT_REGISTRY: '', PIPEWRIGHT_TOKEN: '' };
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8' });
    const db = join(dir, 'registry.db');
    expect(cli('registry', 'init', '--db', db).status).toBe(0);
    const tokenRun = cli('registry', 'token', 'create', '--db', db, '--scope', 'publish', '--name', 'ci');
    expect(tokenRun.status).toBe(0);
    const token = tokenRun.stdout.trim();
    expect(token).toMatch(/^pw_[0-9a-f]{12}_/);
    expect(readFileSync(db).includes(Buffer.from(token))).toBe(false);

    const { child, url } = await serveProcess(db);
    const published = cli(
      'template',
      'publish',
      join(REPO, 'examples/templates/node-http-service-1.0.0.yaml'),
      join(REPO, 'examples/templates/node-http-service-1.1.0.yaml'),
      join(REPO, 'examples/templates/smoke-checks-1.0.0.yaml'),
      '--registry',
      url,
      '--token',
      token,
    );
    expect(published.stderr).toBe('');
    expect(published.stdout).toMatch(/^published\s+account\.node_http_service@1\.1\.0\s+\S+\s+sha256:/m);
    const anon = cli('template', 'list', '--registry', url);
    expect(anon.status).toBe(2);
    expect(anon.stderr).toMatch(/401/);
    expect(cli('template', 'list', '--registry', url, '--token', token).stdout).toMatch(/account\.smoke_checks\s+StepGroup\s+1\.0\.0/);

    cpSync(join(REPO, 'examples', 'pipeline.yaml'), join(dir, 'pipeline.yaml'));
    const online = cli('compile', 'pipeline.yaml', '--registry', url, '--token', token, '-o', 'plan1.json');
    expect(online.status).toBe(0);
    expect(existsSync(join(dir, 'pipewright.lock'))).toBe(true);
    const lock = JSON.parse(readFileSync(join(dir, 'pipewright.lock'), 'utf8')) as { templates: Record<string, unknown> };
    expect(Object.keys(lock.templates).sort()).toEqual(['account.node_http_service@^1.0', 'account.smoke_checks@1.0.0']);

    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(143);

    const offline = cli('compile', 'pipeline.yaml', '--frozen-lockfile', '-o', 'plan2.json');
    expect(offline.stderr).toMatch(/wrote plan2\.json/);
    expect(offline.status).toBe(0);
    expect(readFileSync(join(dir, 'plan2.json'), 'utf8')).toBe(readFileSync(join(dir, 'plan1.json'), 'utf8'));
    const plan = JSON.parse(readFileSync(join(dir, 'plan2.json'), 'utf8')) as { templates: { ref: string; version: string }[] };
    expect(plan.templates.map((t) => `${t.ref}@${t.version}`)).toEqual(['account.node_http_service@1.1.0', 'account.smoke_checks@1.0.0']);

    // Offline, a reference the lock does not hold fails clearly, and the lock is untouched.
    const before = readFileSync(join(dir, 'pipewright.lock'), 'utf8');
    const driftDir = join(dir, 'pipeline2');
    cpSync(join(dir, 'pipewright.lock'), join(driftDir, 'pipewright.lock'));
    writeFileSync(
      join(driftDir, 'pipeline.yaml'),
      readFileSync(join(dir, 'pipeline.yaml'), 'utf8').replace('versionLabel: ^1.0', 'versionLabel: 1.0.0'),
    );
    const failed = spawnSync(process.execPath, [BIN, 'compile', 'pipeline.yaml', '--frozen-lockfile'], {
      cwd: driftDir,
      env,
      encoding: 'utf8',
    });
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(/pipeline\.yaml:\d+:\d+: error PW4008 account\.node_http_service@1\.0\.0 is not in pipewright\.lock/);
    expect(readFileSync(join(driftDir, 'pipewright.lock'), 'utf8')).toBe(before);
  }, 60_000);

  test('serve: --port 0 prints the URL; a bad --db path is a clear exit 2', async () => {
    const dir = tempDir({}, 'pw-serve-');
    const bad = spawnSync(process.execPath, [BIN, 'registry', 'serve', '--db', join(dir, 'no', 'such', 'dir', 'r.db'), '--port', '0'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot start the registry/);
    const child = spawn(process.execPath, [BIN, 'registry', 'serve', '--db', join(dir, 'r.db'), '--port', 'x']);
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
  });
});
