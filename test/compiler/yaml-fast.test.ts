/**
 * The fast YAML reader against the `yaml` library: wherever the fast path answers, it must
 * answer exactly as the library and our converter do — the same values (types, key order),
 * the same positions for every object and key, the same lines and columns — and it must
 * never accept text the library rejects. Inputs: the fixture corpus, the real Harness files,
 * the examples, the benchmark's generated files, hand-written edge cases, and mutations of
 * all of these (the seed is printed; PIPEWRIGHT_FUZZ_SEED replays a run).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fuzzSeed } from '../support/fuzz-seed.js';
import { DiagnosticBag } from '../../compiler/diagnostics.js';
import { FALLBACK, readFastYaml } from '../../compiler/yaml/fast/reader.js';
import { MAX_NESTING } from '../../compiler/yaml/index.js';
import { HARNESS_VERBATIM_KEYS } from '../../compiler/harness-yaml.js';
import { Positions, readWithLibrary, readYaml, TextLines } from '../../compiler/yaml/index.js';
import { listFixtures } from '../fixture-corpus.js';
import { REPO } from '../helpers.js';
import { mutate, mutateChars, rng } from '../mutate.js';
import { fleetPipeline, writeTemplates } from '../support/generate.js';
import { tempDir } from '../helpers.js';

const SEED = fuzzSeed();
const MUTATIONS = Number(process.env['PIPEWRIGHT_FUZZ_CASES'] ?? 3000);

/** What differs between the two readers on `text`, or undefined; `fellBack` when the fast path declined. */
function differences(text: string): { fellBack: boolean; problem?: string | undefined } {
  const fastPositions = new Positions();
  const fast = readFastYaml(text, { file: 'f.yaml', lines: new TextLines(text) }, fastPositions, HARNESS_VERBATIM_KEYS);
  if (fast === FALLBACK) return { fellBack: true };
  const libPositions = new Positions();
  const bag = new DiagnosticBag();
  const docs = readWithLibrary('f.yaml', text, libPositions, bag, undefined, HARNESS_VERBATIM_KEYS);
  if (bag.hasErrors) return { fellBack: false, problem: `the fast path accepted text the library rejects: ${bag.items[0]!.message}` };
  if (docs.length !== 1) return { fellBack: false, problem: `the library reads ${docs.length} documents` };
  const lib = docs[0]!;
  const fastLines = new TextLines(text);
  if (fastLines.linePos(fast.offset).line !== lib.line)
    return { fellBack: false, problem: `document line ${fastLines.linePos(fast.offset).line} vs ${lib.line}` };
  const problem = compare(fast.value, lib.value, '$');
  return { fellBack: false, problem };

  function compare(a: unknown, b: unknown, path: string): string | undefined {
    if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') {
      return Object.is(a, b) ? undefined : `${path}: ${JSON.stringify(a)} (${typeof a}) vs ${JSON.stringify(b)} (${typeof b})`;
    }
    if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys ${JSON.stringify(ka)} vs ${JSON.stringify(kb)}`;
    const pa = fastPositions.get(a);
    const pb = libPositions.get(b);
    if (!pa || !pb) return `${path}: position missing (fast ${!!pa}, library ${!!pb})`;
    const where = (p: typeof pa, o: number) => `${o}@${JSON.stringify(p.source.lines.linePos(o))}`;
    if (where(pa, pa.offset) !== where(pb, pb.offset)) return `${path}: offset ${where(pa, pa.offset)} vs ${where(pb, pb.offset)}`;
    const keysA = [...pa.keys].map(([k, o]) => `${k}=${where(pa, o)}`).join(' ');
    const keysB = [...pb.keys].map(([k, o]) => `${k}=${where(pb, o)}`).join(' ');
    if (keysA !== keysB) return `${path}: key positions\n  fast:    ${keysA}\n  library: ${keysB}`;
    for (const k of ka) {
      const d = compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
}

/** Every YAML text we can find: fixture documents, whole fixture files, corpus, examples, bench files. */
function inputs(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const f of listFixtures()) {
    const text = readFileSync(f, 'utf8');
    out.push({ name: f, text });
    text.split(/^---\s*$/m).forEach((chunk, i) => out.push({ name: `${f}#${i}`, text: chunk.replace(/^\n/, '') }));
  }
  const corpus = join(REPO, '..', 'shared', 'corpus', 'harness-v0');
  if (existsSync(corpus)) for (const f of readdirSync(corpus)) out.push({ name: f, text: readFileSync(join(corpus, f), 'utf8') });
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.ya?ml$/.test(e.name)) out.push({ name: join(d, e.name), text: readFileSync(join(d, e.name), 'utf8') });
    }
  };
  walk(join(REPO, 'examples'));
  const dir = tempDir({}, 'pw-yaml-fast-');
  for (const f of writeTemplates(dir)) out.push({ name: f, text: readFileSync(f, 'utf8') });
  for (let i = 0; i < 3; i++) out.push({ name: `fleet ${i}`, text: fleetPipeline(i) });
  // Every text again with CRLF line ends, as Windows editors write them.
  return [...out, ...out.map((x) => ({ name: `${x.name} (CRLF)`, text: x.text.replace(/\n/g, '\r\n') }))];
}

/** Edge cases the fast path must read (not fall back on), and read as the library does. */
const READS: string[] = [
  'a: 1\nb: -2\nc: +3\nd: 0o17\ne: 0x1F\nf: 1.5\ng: .5\nh: 1e3\ni: -.inf\nj: .NaN\nk: 1.0\nl: 007\nm: 1_000\n',
  'a: ~\nb: null\nc: Null\nd:\ne: true\nf: False\ng: TRUE\nh: yes\ni: on\nj: ""\nk: \'\'\n',
  'versionLabel: 1.0\nother: 1.0\nt: {versionLabel: 2.10, v: 2.10}\nu:\n  versionLabel:\n    3.0\n',
  'key : spaced\n"quoted key": 1\n\'single key\': 2\n1: one\ntrue: yes\nnull: none\n',
  's: "a\\tb\\n\\u00e9\\x41\\"\\\\\\/ \\U0001F600"\nt: \'it\'\'s\'\nu: "# not a comment"\nv: a#b\nw: a # comment\n',
  'url: http://example.com:8080/x\ncmd: echo a:b\nx: -dash\ny: :colon\nz: ?q\nbr: a[0]{1},2\n',
  'lit: |\n  line 1\n    indented\n\n  line 3\nstrip: |-\n  x\n\n\nkeep: |+\n  y\n\n\nclip: |\n  z\n\n\nafter: 1\n',
  'fold: >\n  a\n  b\n\n  c\n    more\n  d\nfs: >-\n  p\n  q\nfk: >+\n  r\n\nend: 1\n',
  'lit: |  # comment\n  text\n# comment at zero\nnext: 1\n',
  '- a\n- - b\n  - c\n-\n  x: 1\n- y: 2\n  z: 3\n-\n- |\n  lit\n',
  'a:\n- 1\n- 2\nb:\n  - 3\nc: [1, [2, 3], {d: 4, e: [5]}, "six", \'seven\']\n',
  'flow: {a: 1,\n  b: 2, # comment\n  c: [x,\n    y]}\nnext: 2\n',
  'trailing: [a, b, ]\nempty: []\nemptymap: {}\njson: {"a":1, "b": [true,null]}\n',
  '# leading comment\n\n  \nroot:\n  # inner comment\n  child: 1   \n\n  other: 2\n# trailing\n',
  'just a scalar\n',
  '- 1\n- two\n',
  '  indented: root\n  second: key\n',
  'pipeline:\n  stages:\n    - stage:\n        spec:\n          execution:\n            steps:\n              - step: {type: Run, spec: {command: "echo <+input>"}}\n',
  'a: 1',
  'a: [1, 2]',
  'a:\n  b:\n    c:\n',
  'a: |\n  no final line break',
  'a: |+\n  x\n  ',
  'a: >-\n  x\n  y',
  '---\na: 1\n',
  '# comment\n\n--- # start\n# another\npipeline:\n  b: [1]\n',
  '---\n- x\n',
];

/** The same edge cases with CRLF line ends: read too, with the same answers as the library. */
const CRLF_READS = READS.map((t) => t.replace(/\n/g, '\r\n'));

describe('fast YAML reader', () => {
  test('reads the usual shapes exactly as the library does', () => {
    for (const text of READS) {
      const d = differences(text);
      expect({ text, fellBack: d.fellBack }).toEqual({ text, fellBack: false });
      expect({ text, problem: d.problem }).toEqual({ text, problem: undefined });
    }
  });

  test('reads CRLF files the same way', () => {
    for (const text of CRLF_READS) {
      const d = differences(text);
      expect({ text, fellBack: d.fellBack, problem: d.problem }).toEqual({ text, fellBack: false, problem: undefined });
    }
  });

  test('falls back on what it does not read', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      '---\na: 1\n---\nb: 2\n',
      '--- {a: 1}\n',
      'a: 1\n...\n',
      'a: 1\rb: 2\n',
      'a:\tb\n',
      '? a\n: b\n',
      'a: "multi\n  line"\n',
      'a: plain\n  continued\n',
      'a: 1\na: 2\n',
      '<<: {a: 1}\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: b: c\n',
      'a:\n  - x\n y: 1\n',
      '',
    ]) {
      expect({ text, fellBack: differences(text).fellBack }).toEqual({ text, fellBack: true });
    }
  });

  test('agrees with the library on every corpus file it reads, and reads most of them', () => {
    const all = inputs();
    let read = 0;
    for (const { name, text } of all) {
      const d = differences(text);
      if (d.problem) throw new Error(`${name}: ${d.problem}\n--- input ---\n${text}`);
      if (!d.fellBack) read++;
    }
    // Whole fixture files have several documents, so they fall back; the documents themselves are read.
    expect(read).toBeGreaterThan(all.length / 2);
  });

  test(`agrees with the library on ${MUTATIONS} mutated inputs (seed ${SEED})`, () => {
    const r = rng(SEED);
    const all = [...inputs(), ...[...READS, ...CRLF_READS].map((text, i) => ({ name: `edge case ${i}`, text }))];
    let read = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const base = all[Math.floor(r() * all.length)]!;
      // Half line-level mutations of whole files, half character-level edits of the edge cases and files.
      const text =
        i % 2 ? mutate(base.text, r) : mutateChars(i % 4 ? base.text : [...READS, ...CRLF_READS][Math.floor(r() * READS.length * 2)]!, r);
      const d = differences(text);
      if (d.problem) throw new Error(`case ${i} (seed ${SEED}, from ${base.name}): ${d.problem}\n--- input ---\n${text}`);
      if (!d.fellBack) read++;
    }
    expect(read).toBeGreaterThan(MUTATIONS / 10);
  }, 120_000);

  test('the nesting limit is the same on both paths', () => {
    const nest = (levels: number) => 'a: ' + '['.repeat(levels - 1) + ']'.repeat(levels - 1) + '\n';
    expect(differences(nest(MAX_NESTING))).toEqual({ fellBack: false });
    expect(differences(nest(MAX_NESTING + 1))).toEqual({ fellBack: true });
    const bag = new DiagnosticBag();
    readWithLibrary('f.yaml', nest(MAX_NESTING + 1), new Positions(), bag);
    expect(bag.items.map((d) => d.code)).toEqual(['PW1007']);
  });

  test('readYaml answers the same through either path', () => {
    const text = 'a:\n  b: [1, {c: 2}]\n';
    const bag = new DiagnosticBag();
    const viaFast = readYaml('f.yaml', text, new Positions(), bag);
    const viaLib = readWithLibrary('f.yaml', text, new Positions(), bag);
    expect(viaFast).toEqual(viaLib);
  });
});
