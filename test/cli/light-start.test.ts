/**
 * Commands that only read templates (compile, validate, lock, audit) start without the
 * registry server's express and SQLite: the registry client is its own part (`client/`), so
 * going through a part's index.ts does not load the server. Checked in a fresh process, where
 * the CommonJS module cache shows which packages a command loaded.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `pipewright ARGS` in-process in a fresh node, then answers which server packages it loaded. */
function serverPackagesLoadedBy(entry: string, args: string[]): { code: number; loaded: string[] } {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const mod = await import(${JSON.stringify(entry)});
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, cwd: ${JSON.stringify(ROOT)} };
    const code = mod.main ? await mod.main(${JSON.stringify(args)}, io) : 0;
    const loaded = Object.keys(require('module')._cache).map((p) => /node_modules\\/(express|better-sqlite3)\\//.exec(p)?.[1]).filter(Boolean);
    console.log(JSON.stringify({ code, loaded: [...new Set(loaded)].sort() }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { code: number; loaded: string[] };
}

describe('a command that reads templates does not load the registry server', () => {
  test.each([
    ['compile', ['compile', 'examples/pipeline.yaml', '-t', 'examples/templates']],
    ['validate', ['validate', 'examples/pipeline.yaml']],
  ])('%s loads neither express nor better-sqlite3', (_name, args) => {
    const r = serverPackagesLoadedBy(join(ROOT, 'dist', 'cli', 'main.js'), args);
    expect(r.code).toBe(0);
    expect(r.loaded).toEqual([]);
  });

  test('the check sees them when the server is loaded', () => {
    expect(serverPackagesLoadedBy(join(ROOT, 'dist', 'registry', 'index.js'), []).loaded).toEqual(['better-sqlite3', 'express']);
  });
});
