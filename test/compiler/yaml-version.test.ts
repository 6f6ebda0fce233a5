/**
 * The fast reader answers exactly as the `yaml` library does — for the version it was checked
 * against. An upgrade is a deliberate act: the pin, the installed library and the verified
 * version must agree (bump the pin, re-run yaml-fast.test.ts, then YAML_VERIFIED_VERSION).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { YAML_VERIFIED_VERSION } from '../../compiler/yaml/index.js';
import { REPO } from '../helpers.js';

describe('the yaml library', () => {
  test('is pinned exactly, and installed, at the version the fast reader was verified against', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['yaml']).toBe(YAML_VERIFIED_VERSION);
    const installed = (createRequire(join(REPO, 'package.json'))('yaml/package.json') as { version: string }).version;
    expect(installed).toBe(YAML_VERIFIED_VERSION);
  });
});
