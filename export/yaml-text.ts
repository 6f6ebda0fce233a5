/**
 * Plain data (objects, arrays, strings, numbers, booleans, null) as YAML text, fast: a manifest
 * of 10,000 steps is about 12 MB, which the `yaml` library's general emitter writes in seconds.
 * Only what JSON can hold is written, so every string either stays plain (when YAML cannot
 * read it as anything else), becomes a literal block (multi-line scripts stay readable) or is
 * written as a JSON string, which is a valid YAML double-quoted scalar.
 */

/** A string YAML reads back as this very string without quotes. */
const PLAIN = /^(?:[A-Za-z_/]|-[A-Za-z])[A-Za-z0-9_./@()=+-]*(?: [A-Za-z0-9_./@()=+-]+)*$/;
/** Plain-looking words YAML 1.1 or 1.2 reads as booleans, null or numbers. */
const SPECIAL = /^(?:y|n|yes|no|on|off|true|false|null|~|\.inf|\.nan)$/i;

function scalarText(s: string): string {
  return PLAIN.test(s) && !SPECIAL.test(s) ? s : JSON.stringify(s);
}

/** Whether `s` can be a literal block (`|`, `|-`) that reads back exactly. */
function blockable(s: string): boolean {
  if (!s.includes('\n') || /^[ \n]/.test(s) || /\n\n$/.test(s) || /[\t\r]/.test(s)) return false;
  return !s.split('\n').some((line) => / $/.test(line) || /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/.test(line));
}

function keyText(k: string): string {
  return PLAIN.test(k) && !SPECIAL.test(k) ? k : JSON.stringify(k);
}

/** YAML text of `value` (a document, ending with a newline). */
export function yamlText(value: unknown): string {
  const out: string[] = [];
  writeValue(value, '', out, true);
  return out.join('');
}

/** Writes `value` after a `key:` or `- ` already on the current line. */
function writeValue(value: unknown, indent: string, out: string[], top = false): void {
  if (Array.isArray(value)) {
    if (value.length === 0) return void out.push(top ? '[]\n' : ' []\n');
    if (!top) out.push('\n');
    for (const item of value) {
      out.push(`${indent}-`);
      writeItem(item, `${indent}  `, out);
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return void out.push(top ? '{}\n' : ' {}\n');
    if (!top) out.push('\n');
    for (const [k, v] of entries) {
      out.push(`${indent}${keyText(k)}:`);
      writeValue(v, `${indent}  `, out);
    }
    return;
  }
  out.push(top ? '' : ' ', leaf(value, indent), '\n');
}

/** Writes an array item after its `-`: an object's first key on the same line. */
function writeItem(item: unknown, indent: string, out: string[]): void {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const entries = Object.entries(item as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return void out.push(' {}\n');
    entries.forEach(([k, v], i) => {
      out.push(i === 0 ? ` ${keyText(k)}:` : `${indent}${keyText(k)}:`);
      writeValue(v, `${indent}  `, out);
    });
    return;
  }
  if (Array.isArray(item)) {
    if (item.length === 0) return void out.push(' []\n');
    // A sequence in a sequence: `- - a` reads back as nested.
    item.forEach((inner, i) => {
      out.push(i === 0 ? ' -' : `${indent}-`);
      writeItem(inner, `${indent}  `, out);
    });
    return;
  }
  out.push(' ', leaf(item, indent), '\n');
}

function leaf(value: unknown, indent: string): string {
  if (typeof value === 'string') {
    if (blockable(value)) {
      const body = value.endsWith('\n') ? value.slice(0, -1) : value;
      return `${value.endsWith('\n') ? '|' : '|-'}\n${body
        .split('\n')
        .map((l) => (l ? indent + l : ''))
        .join('\n')}`;
    }
    return scalarText(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  throw new Error(`cannot write a ${typeof value} as YAML`);
}
