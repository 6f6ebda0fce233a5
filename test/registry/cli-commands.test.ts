/**
 * The template, lock and outdated commands against a registry served in this process.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, runCli } from '../helpers.js';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

async function setup() {
  const { dir, reg, cli } = await live();
  return { dir, reg, cli };
}

describe('template commands', () => {
  test('publish, list, show, versions, label, deprecate, yank, diff', async () => {
    const { dir, cli } = await setup();
    writeFileSync(
      join(dir, 'a1.yaml'),
      stepTemplate('a', '1.0.0', { inputs: '  inputs:\n    x: {type: string, default: one}\n', command: 'echo {{inputs.x}}' }),
    );
    writeFileSync(
      join(dir, 'a2.yaml'),
      stepTemplate('a', '1.1.0', {
        inputs: '  inputs:\n    x: {type: string, default: two}\n    y: {type: number}\n',
        command: 'echo {{inputs.x}} {{inputs.y}}',
      }),
    );
    const pub = await cli('template', 'publish', 'a1.yaml', 'a2.yaml', '--label', 'canary');
    expect(pub.code).toBe(0);
    // The label goes to the newest version of the set.
    expect(pub.stdout).toMatch(/^published\s+account\.a@1\.0\.0\s+a1\.yaml\s+sha256:[0-9a-f]{64}$/m);
    expect(pub.stdout).toMatch(/^published\s+account\.a@1\.1\.0\s+a2\.yaml\s+sha256:[0-9a-f]{64}; label canary$/m);
    expect((await cli('template', 'publish', 'a1.yaml')).stdout).toMatch(/^identical\s+account\.a@1\.0\.0\s/);
    writeFileSync(join(dir, 'a1-changed.yaml'), stepTemplate('a', '1.0.0', { command: 'changed' }));
    const clash = await cli('template', 'publish', 'a1-changed.yaml');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(
      /^a1-changed\.yaml:\d+:\d+: error PW4007 account\.a@1\.0\.0 is already published with other content .*immutable/m,
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      'template:\n  name: b\n  identifier: b\n  versionLabel: 1.0.0\n  type: Step\n  inputs: {x: {type: string, default: a}}\n  spec: {type: Run, spec: {command: "{{oops"}}\n',
    );
    const bad = await cli('template', 'publish', 'bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bad\.yaml:\d+:\d+: error PW3006 /m);

    expect((await cli('template', 'list', '--search', 'the a')).stdout).toMatch(/^account\.a\s+Step\s+1\.1\.0\s+the a template/m);
    const missing = await cli('template', 'show', 'account.a@9.9.9');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no version satisfies 9\.9\.9 \(available: 1\.1\.0, 1\.0\.0\)/);
    const show = await cli('template', 'show', 'account.a@^1.0');
    expect(show.stdout).toMatch(/^# account\.a@1\.1\.0 sha256:/);
    expect(show.stdout).toContain('echo {{inputs.x}} {{inputs.y}}');
    expect((await cli('template', 'label', 'account.a', 'stable', '1.0.0')).stdout).toMatch(/account\.a stable → 1\.0\.0/);
    expect((await cli('template', 'deprecate', 'account.a@1.0.0', '--message', 'move to 1.1', '--sunset', '2030-01-01')).code).toBe(0);
    expect((await cli('template', 'yank', 'account.a@1.1.0')).stdout).toBe('yanked account.a@1.1.0; label canary removed\n');
    const versions = await cli('template', 'versions', 'account.a');
    expect(versions.stdout).toMatch(/^1\.0\.0 .*\[stable\] deprecated until 2030-01-01: move to 1\.1$/m);
    expect(versions.stdout).toMatch(/^1\.1\.0 .*… \S+ yanked$/m);
    const diff = await cli('template', 'diff', 'account.a', '1.0.0', '1.1.0');
    expect(diff.stdout).toMatch(/^\+\s+y:$/m);
    expect(diff.stdout).toMatch(/inputs: added y; removed -; retyped -; default changed x "one"→"two"; now required y/);
    expect((await cli('template', 'label', 'account.a', 'canary', '--remove')).stderr).toMatch(/has no label canary/);
    const json = JSON.parse((await cli('template', 'versions', 'account.a', '--json')).stdout) as { labels: Record<string, string> };
    expect(json.labels).toEqual({ stable: '1.0.0' });
    expect((await runCli(['template', 'list'], dir)).code).toBe(2);
    expect((await cli('template', 'yank', 'account.a')).code).toBe(2);
  });

  test('lock refreshes the lockfile; outdated shows locked, in range, stable and deprecation', async () => {
    const { dir, cli, reg } = await setup();
    for (const f of ['node-http-service-1.0.0.yaml', 'smoke-checks-1.0.0.yaml'])
      expect((await cli('template', 'publish', join(REPO, 'examples', 'templates', f))).code).toBe(0);
    cpSync(join(REPO, 'examples', 'pipeline.yaml'), join(dir, 'pipeline.yaml'));
    const lock = await cli('lock', 'pipeline.yaml');
    expect(lock.code).toBe(0);
    expect(lock.stdout).toMatch(/account\.node_http_service@\^1\.0 → 1\.0\.0/);
    expect((await cli('lock', 'pipeline.yaml')).stdout).toMatch(/is up to date/);
    expect((await cli('template', 'publish', join(REPO, 'examples', 'templates', 'node-http-service-1.1.0.yaml'))).code).toBe(0);
    expect(await cli('template', 'deprecate', 'account.node_http_service@1.0.0', '--message', 'use 1.1')).toMatchObject({ code: 0 });
    const out = await cli('outdated', 'pipeline.yaml');
    // A deprecated entry is not ok: outdated exits 1 (as npm outdated does when something is).
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^account\.node_http_service\s+\^1\.0\s+1\.0\.0\s+1\.1\.0\s+1\.1\.0\s+deprecated: use 1\.1$/m);
    expect(out.stdout).toMatch(/^account\.smoke_checks\s+1\.0\.0\s+1\.0\.0\s+1\.0\.0\s+1\.0\.0\s+ok$/m);
    // compile keeps the locked version and warns about the deprecation.
    const compiled = await cli('compile', 'pipeline.yaml', '--explain');
    expect(compiled.code).toBe(0);
    expect(compiled.stdout).toMatch(/account\.node_http_service@1\.0\.0/);
    expect(compiled.stderr).toMatch(/warning PW4009 account\.node_http_service@1\.0\.0 is deprecated: use 1\.1/);
    expect((await cli('lock', 'pipeline.yaml')).stdout).toMatch(/→ 1\.1\.0/);
    const lockFile = JSON.parse(readFileSync(join(dir, 'pipewright.lock'), 'utf8')) as { templates: Record<string, { version: string }> };
    expect(lockFile.templates['account.node_http_service@^1.0']?.version).toBe('1.1.0');
    void reg;
  });
});
