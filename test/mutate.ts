/**
 * Seeded randomness and YAML-aware text mutations, shared by the fuzz tests.
 */
/** A small seeded PRNG (mulberry32): the same seed gives the same cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fragments that YAML, Handlebars and Harness expressions treat specially. */
export const TOKENS = [
  ':',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '<+input>',
  '{{inputs.x}}',
  '{{#if}}',
  '*a',
  '&a ',
  '"',
  "'",
  '\t',
  'null',
  '~',
  '<+',
  '>',
  '!!binary ',
  '---',
  '? ',
  '|',
  '>-',
  '<+steps.x.output.outputVariables.y>',
  'template:',
  'step:',
  'parallel:',
  '1e999',
  '-1',
  '@',
  '`',
  '\u0000',
  '💥',
  'type: Background',
  'strategy: {parallelism: 300}',
  '<<: *a',
];

/** One to three random line-level mutations of `text`: deletions, swaps, indentation, inserted tokens. */
export function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  let lines = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * Math.max(1, lines.length));
    switch (Math.floor(r() * 9)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[at] ?? '');
        break;
      case 2: {
        const b = Math.floor(r() * lines.length);
        [lines[at], lines[b]] = [lines[b] ?? '', lines[at] ?? ''];
        break;
      }
      case 3:
        lines[at] = (r() < 0.5 ? '  ' : '') + (lines[at] ?? '').replace(/^ {0,2}/, r() < 0.5 ? '' : ' ');
        break;
      case 4: {
        const l = lines[at] ?? '';
        const p = Math.floor(r() * (l.length + 1));
        lines[at] = l.slice(0, p) + pick(TOKENS) + l.slice(p);
        break;
      }
      case 5:
        lines[at] = (lines[at] ?? '').replace(
          /: .*$/,
          `: ${pick(['42', '[1, 2]', '{a: 1}', 'true', '""', '<+input>', '{{inputs.port}}', 'x'.repeat(300)])}`,
        );
        break;
      case 6:
        lines = lines.slice(0, at);
        break;
      case 7: {
        const l = lines[at] ?? '';
        const p = Math.floor(r() * l.length);
        lines[at] = l.slice(0, p) + String.fromCharCode(32 + Math.floor(r() * 95)) + l.slice(p + 1);
        break;
      }
      default:
        lines[at] = (lines[at] ?? '').replace(/identifier: \w+/, `identifier: ${pick(['a', 'x y', '9', '<+stage.identifier>', 'steps'])}`);
    }
  }
  return lines.join('\n');
}

const YAML_CHARS = [
  ' ',
  ' ',
  '\n',
  '\n  ',
  '\r\n',
  '\r',
  ':',
  '-',
  '#',
  "'",
  '"',
  '|',
  '>',
  '[',
  ']',
  '{',
  '}',
  ',',
  '?',
  '&',
  '*',
  '!',
  '%',
  '@',
  '`',
  '\\',
  '0',
  'a',
  '.',
  '+',
  '~',
  'e',
  'x',
  '1',
];

/** One to three character-level edits of `text` (inserted YAML indicators, deletions, copies). */
export function mutateChars(text: string, r: () => number): string {
  let out = text;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (out.length + 1));
    const op = r();
    if (op < 0.5) out = out.slice(0, at) + YAML_CHARS[Math.floor(r() * YAML_CHARS.length)]! + out.slice(at);
    else if (op < 0.8) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 3));
    else {
      const from = Math.floor(r() * out.length);
      out = out.slice(0, at) + out.slice(from, from + 1 + Math.floor(r() * 12)) + out.slice(at);
    }
  }
  return out;
}
