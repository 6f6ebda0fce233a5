/**
 * The export's YAML writer: whatever plain data it is given, the `yaml` library reads back
 * the same data (strings YAML would read as something else are quoted; scripts are literal
 * blocks only when that reads back exactly).
 */
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { yamlText } from '../../export/index.js';
import { fuzzSeed } from '../support/fuzz-seed.js';

const tricky = [
  '',
  ' ',
  'a',
  'true',
  'False',
  'yes',
  'NO',
  'on',
  'null',
  '~',
  '1',
  '-1',
  '1.5',
  '0x1f',
  '1e3',
  '.inf',
  '.NaN',
  '-',
  '- a',
  '-e',
  '--x',
  'a: b',
  'a #b',
  '#x',
  '{{tasks.a.ip}}',
  '[x]',
  '{x}',
  '*a',
  '&a',
  '!tag',
  '%x',
  '@x',
  '`x`',
  '"q"',
  "'q'",
  'a\tb',
  'tail ',
  ' lead',
  'line1\nline2',
  'line1\nline2\n',
  'line1\n\nline3\n',
  'x\n\n',
  '\nfirst',
  'trailing \nspace',
  'tab\tline\nx',
  'crlf\r\nx',
  'é ü 雪 🎉',
  'echo "the call answered {{inputs.parameters.out-a}}"',
  "trap 'rc=$?; exit $rc' EXIT\necho hi\n",
  'x: y\n- z\n',
  '\u0007bell',
  'ip-s-db',
  'pipewright.dev/step',
  'sha256:abc',
  'node:20-slim',
  '2026-01-01',
  '12:30',
  '0o17',
  '+1',
  '.5',
];

describe('yamlText reads back as the same data', () => {
  test.each(tricky.map((s) => [s]))('%j as a value, a key, an item and a nested item', (s) => {
    const data = { [s]: s, list: [s, { [s]: [s] }, [s, [s]]], nested: { deep: { v: s } }, empty: [], none: {}, n: 3, b: false, z: null };
    expect(parse(yamlText(data))).toEqual(data);
  });

  test('random strings from a fixed seed', () => {
    let seed = fuzzSeed();
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab -:#{}[]"\'\\\n\t *&!%@`,?|>.0123456789eé雪';
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const data = { v: s, l: [s, { k: s }] };
      expect(parse(yamlText(data)), JSON.stringify(s)).toEqual(data);
    }
  });
});
