/**
 * The value of one `--set path=value`, typed by what it fills. The text is read as YAML by
 * our reader (so the limits on nesting, aliases and expanded size apply, and the result is a
 * tree: an alias that refers to itself is an error, never a cycle), then:
 *
 * - a `String` or `Secret` variable takes the text as written (`007`, `true` and `1e400`
 *   stay text; a quoted scalar gives its content); a mapping or list is an error;
 * - a `Number` variable takes a finite number; anything else (text, `1e400`, `.inf`) is an error;
 * - anything else (a variable of no declared type, a runtime input in a step field) takes
 *   the YAML value; a number too large to be finite stays the text as written.
 */
import { Codes, DiagnosticBag } from '../diagnostics.js';
import { describe } from './input-check.js';
import { Positions } from '../yaml/index.js';
import { readYaml } from '../harness-yaml.js';

/** What `--set` gives: the value, or why the text does not fit the target. */
export type SetValue = { value: unknown } | { problem: string };

/** Positions of `--set` values: nobody asks where inside one a key sits. */
const positions = new Positions();

/**
 * Types `raw` for a target declared `type` (a variable's `type:`, case-insensitive), or
 * of no declared type when `type` is undefined.
 */
export function typeSetValue(raw: string, type: unknown): SetValue {
  const declared = typeof type === 'string' ? type.toLowerCase() : undefined;
  const parsed = parse(raw);
  if (declared === 'string' || declared === 'secret') {
    // Text that is no YAML is text; YAML past the reader's limits (a self-referencing alias) is refused.
    if ('problem' in parsed && !parsed.syntax) return { problem: parsed.problem };
    if ('value' in parsed && parsed.value !== null && typeof parsed.value === 'object') {
      return { problem: `a ${type as string} variable takes text, not ${describe(parsed.value)} (quote the value to pass it as text)` };
    }
    return { value: 'value' in parsed && typeof parsed.value === 'string' ? parsed.value : raw };
  }
  if ('problem' in parsed) return { problem: parsed.problem };
  const v = parsed.value;
  if (declared === 'number') {
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v };
    return { problem: `a ${type as string} variable takes a finite number, not ${typeof v === 'number' ? `'${raw}'` : describe(v)}` };
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return { value: raw };
  // Empty text and anything YAML reads as null are the text itself, unless it says null.
  if (v === null && raw !== 'null' && raw !== '~') return { value: raw };
  return { value: v };
}

/** The YAML value of the text, or the first problem our reader found with it (`syntax`: it is no YAML). */
function parse(raw: string): { value: unknown } | { problem: string; syntax: boolean } {
  const bag = new DiagnosticBag();
  const docs = readYaml('--set', raw, positions, bag);
  const error = bag.items.find((d) => d.severity === 'error');
  if (error)
    return {
      problem: `the value is refused: ${error.message} (${error.code})`,
      syntax: error.code === Codes.YAML_SYNTAX || error.code === Codes.DUPLICATE_KEY,
    };
  if (docs.length > 1) return { problem: 'the value holds several YAML documents', syntax: true };
  return { value: docs[0]?.value ?? null };
}
