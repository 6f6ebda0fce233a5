/**
 * Secrets for `<+secrets.getValue("name")>`: from `--secrets-file` (YAML mapping or dotenv
 * lines) and `PIPEWRIGHT_SECRET_<NAME>` variables; and the masker that replaces every secret
 * value with `**************` in logs, reports and errors.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const MASK = '**************';

/** Reads a secrets file: a YAML mapping, or dotenv `NAME=value` lines. */
export function readSecretsFile(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  const out: Record<string, string> = {};
  const dotenv = text.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^\s*(export\s+)?[A-Za-z_][\w.-]*\s*=/.test(l));
  if (dotenv) {
    for (const line of text.split('\n')) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      let v = m[2]!.trim();
      if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
      out[m[1]!] = v;
    }
    return out;
  }
  const data = parse(text) as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new Error(`${path}: a secrets file is a mapping of names to values, or NAME=value lines`);
  for (const [k, v] of Object.entries(data)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

/** Secrets from the environment: `PIPEWRIGHT_SECRET_API_KEY` is `api_key` and `API_KEY`. */
export function envSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('PIPEWRIGHT_SECRET_') || v === undefined) continue;
    const name = k.slice('PIPEWRIGHT_SECRET_'.length);
    out[name] = v;
    out[name.toLowerCase()] = v;
  }
  return out;
}

/** Replaces every known secret value in text. Longest values first, so overlaps mask fully. */
export class Masker {
  private values: string[] = [];

  /**
   * Adds a secret. Also masked: each line of a multi-line value (output is masked line by
   * line) and the value as it looks inside a JSON string (reports and quoted conditions).
   */
  add(value: string): void {
    const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
    if (value.includes('\n')) for (const line of value.split(/\r?\n/)) forms.add(line.trim());
    for (const v of forms) {
      if (v.length < 3 || this.values.includes(v)) continue;
      this.values.push(v);
    }
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }
}
