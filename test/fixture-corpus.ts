/**
 * The compile fixture corpus: `test/fixtures/compile/<area>/<case>.yaml`, one self-contained
 * multi-document file per case:
 *
 *   1. an options document: `{description, set?: [...], inputs?: [file], partial?: bool}` (partial as `compile --partial`: open inputs and missing templates are placeholders)
 *   2. the pipeline (written as `pipeline.yaml`)
 *   3. optional pairs: `{file: templates/x.yaml}` then that file's content
 *   4. last: `{expect: {diagnostics: ["file:line:col CODE", ...]}}` or `{expect: {plan: ...}}`
 *
 * Files are written with their lines where they stand in the fixture, so the positions in
 * the expectation are positions in the fixture file itself.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse, stringify } from 'yaml';

export interface FixtureCase {
  path: string;
  name: string;
  options: { description?: string; set?: string[]; inputs?: string[]; partial?: boolean; templates?: string[]; documents?: number };
  /** Files by relative name, padded so their lines match the fixture's. */
  files: Map<string, string>;
  expect: { diagnostics?: string[]; plan?: unknown; plans?: unknown[] };
  /** Text of the fixture up to the expectation document (kept on update). */
  head: string;
}

export const FIXTURE_ROOT = join(dirname(new URL(import.meta.url).pathname), 'fixtures', 'compile');

export function listFixtures(root = FIXTURE_ROOT): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(root);
  return out;
}

export function readFixture(path: string): FixtureCase {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const chunks: { start: number; text: string }[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || /^---\s*$/.test(lines[i]!)) {
      chunks.push({ start, text: lines.slice(start, i).join('\n') });
      start = i + 1;
    }
  }
  if (chunks.length < 3) throw new Error(`${path}: a fixture needs options, pipeline and expectation documents`);
  const options = (parse(chunks[0]!.text) ?? {}) as FixtureCase['options'];
  const pad = (c: { start: number; text: string }) => '\n'.repeat(c.start) + c.text + '\n';
  const files = new Map<string, string>();
  // A pipeline file of several documents (`documents: N`) spans N chunks, separators kept.
  const docs = options.documents ?? 1;
  const lastDoc = chunks[docs]!;
  const pipelineEnd = lastDoc.start + lastDoc.text.split('\n').length;
  files.set('pipeline.yaml', '\n'.repeat(chunks[1]!.start) + lines.slice(chunks[1]!.start, pipelineEnd).join('\n') + '\n');
  for (let i = 1 + docs; i < chunks.length - 1; i += 2) {
    const head = parse(chunks[i]!.text) as { file?: string } | null;
    if (!head?.file || !chunks[i + 1] || i + 1 === chunks.length - 1)
      throw new Error(`${path}: document ${i + 1} must be {file: NAME} followed by that file`);
    files.set(head.file, pad(chunks[i + 1]!));
  }
  const last = chunks[chunks.length - 1]!;
  const expect = ((parse(last.text) ?? {}) as { expect?: FixtureCase['expect'] }).expect ?? {};
  const head = lines.slice(0, last.start).join('\n');
  return { path, name: relative(FIXTURE_ROOT, path).replace(/\.yaml$/, ''), options, files, expect, head };
}

/** Writes the case's files to a fresh folder and returns it. */
export function materialize(c: FixtureCase): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-fixture-'));
  for (const [name, content] of c.files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Rewrites the expectation document of a fixture (update mode). */
export function writeExpectation(c: FixtureCase, expect: FixtureCase['expect']): void {
  writeFileSync(c.path, `${c.head}\n${stringify({ expect }, { lineWidth: 0 })}`);
}
