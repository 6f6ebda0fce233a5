/**
 * A registry address that is not an http(s) URL is a usage error (exit 2) named after where
 * it came from, before any request: not "unreachable after 4 attempts" (exit 1).
 */
import { describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

describe('--registry must be an http(s) URL', () => {
  test.each([
    [['template', 'list', '--registry', 'notaurl'], '--registry notaurl'],
    [['template', 'list', '--registry', 'ftp://example.com'], '--registry ftp://example.com'],
    [['compile', 'p.yaml', '--registry', 'localhost:8080'], '--registry localhost:8080'],
  ])('%j', async (argv, named) => {
    const dir = tempDir({ 'p.yaml': 'pipeline: {name: p, identifier: p, stages: []}\n' });
    const r = await runCli(argv, dir, { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${named}: not an http(s) URL`);
    expect(r.stderr).not.toMatch(/attempts|unreachable/);
  });

  test('from the environment, the message names PIPEWRIGHT_REGISTRY', async () => {
    const r = await runCli(['template', 'list'], tempDir(), { env: { PIPEWRIGHT_REGISTRY: 'registry.local' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PIPEWRIGHT_REGISTRY=registry.local: not an http(s) URL');
  });
});
