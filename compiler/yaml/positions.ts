/**
 * Where parsed YAML values came from. A `Positions` table records, for each mapping and
 * sequence the readers build, the offset of the node and of each key's value; lines and
 * columns are computed only when a diagnostic asks. Tables are passed to whoever reads or
 * clones values (never imported as a module-level instance): a clone registers itself with
 * `copy` (or is made by `Positions.clone`), so it reports where its original was written.
 */
import type { Location, Spanned } from '../location.js';

/** Turns character offsets into 1-based lines and columns (as `yaml`'s `LineCounter`). */
export interface LineIndex {
  linePos(offset: number): { line: number; col: number };
}

/** A parsed file: its display name and how to turn offsets into lines and columns. */
export interface SourceText {
  file: string;
  lines: LineIndex;
  /** The text itself, to find a key's own position (`Positions.keyAt`) when asked. */
  text?: string;
}

/**
 * The line starts of a text, found on the first question: most files are read without a
 * single location being asked for. Answers exactly as a `LineCounter` fed by the parser.
 */
export class TextLines implements LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  linePos(offset: number): { line: number; col: number } {
    let starts = this.starts;
    if (!starts) {
      starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (starts[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { line: low + 1, col: 1 };
    if (low === 0) return { line: 0, col: offset };
    return { line: low, col: offset - starts[low - 1]! + 1 };
  }
}

/**
 * Where an object (mapping or sequence) and each of its keys or indexes came from, as
 * character offsets: lines and columns are computed only when a location is asked for.
 */
export interface NodePosition {
  source: SourceText;
  offset: number;
  /** key (or index) → offset of its value, or of the key when the value is empty. */
  keys: Map<string | number, number>;
}

/**
 * Source positions of the objects of one compile. Keyed by object identity, so a value
 * cloned for a template instantiation is registered with `copy`. An entry is a hidden
 * (symbol-keyed, non-enumerable) property of its object, not a WeakMap entry: a fleet audit
 * registers millions of objects, and the garbage collector's weak-table work made the
 * WeakMap cost a fifth of the audit. Hidden entries are invisible to `Object.keys`, spread,
 * JSON and ajv, and live exactly as long as their objects.
 */
export class Positions {
  /** Each table keeps its entries in a hidden, non-enumerable property of the object. */
  private readonly key = Symbol('position');

  set(obj: object, pos: NodePosition): void {
    Object.defineProperty(obj, this.key, { value: pos, writable: true, configurable: true });
  }

  get(obj: unknown): NodePosition | undefined {
    return obj !== null && typeof obj === 'object' ? (obj as Record<symbol, NodePosition | undefined>)[this.key] : undefined;
  }

  copy(from: object, to: object): void {
    const p = (from as Record<symbol, NodePosition | undefined>)[this.key];
    if (p) this.set(to, p);
  }

  /**
   * A deep copy of plain data (mappings, sequences, scalars) in which every copied object
   * has the position of its original: the one way the compiler clones values it may later
   * report on, so a copy never reports line 1 for want of a table entry.
   */
  clone<T>(v: T): T {
    if (v === null || typeof v !== 'object') return v;
    const out = Array.isArray(v)
      ? v.map((c: unknown) => this.clone(c))
      : Object.fromEntries(Object.entries(v).map(([k, c]) => [k, this.clone(c)]));
    this.copy(v, out);
    return out as T;
  }

  /** Location of `obj` itself, or `fallback` when the object has no recorded position. */
  of(obj: unknown, fallback: Location): Location {
    const p = this.get(obj);
    return p ? locate(p.source, p.offset) : fallback;
  }

  /** Location of the value under `key` in `obj` (or of `obj` when the key is absent). */
  at(obj: unknown, key: string | number, fallback: Location): Location {
    const p = this.get(obj);
    if (!p) return fallback;
    const k = p.keys.get(key);
    return locate(p.source, k ?? p.offset);
  }

  /**
   * Location of the key `key` itself in `obj` (where an unknown field is named), found in the
   * text just before its value; the value's location when the text does not show it.
   */
  keyAt(obj: unknown, key: string, fallback: Location): Location {
    const p = this.get(obj);
    if (!p) return fallback;
    const v = p.keys.get(key);
    if (v === undefined) return locate(p.source, p.offset);
    return locate(p.source, keyOffset(p.source.text, key, v) ?? v);
  }

  /**
   * Location of the node at a JSON-pointer-like path below `root` (segments already split):
   * the deepest object on the path that has a position, and the key below it.
   */
  atPath(root: unknown, path: (string | number)[], fallback: Location): Location {
    let best = this.of(root, fallback);
    let cur: unknown = root;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object') break;
      best = this.at(cur, seg, best);
      cur = (cur as Record<string | number, unknown>)[seg];
      if (cur !== null && typeof cur === 'object' && this.get(cur)) best = this.of(cur, best);
    }
    return best;
  }
}

/**
 * Where `key` is written before its value at `valueAt`: the last occurrence (plain or quoted)
 * that starts a key (after indentation, `{`, `,`, `- ` or `? `) and is followed by `:`.
 * Looks back at most 4 KB (a key and its value are never far apart).
 */
function keyOffset(text: string | undefined, key: string, valueAt: number): number | undefined {
  if (text === undefined || key === '') return undefined;
  const floor = Math.max(0, valueAt - 4096);
  for (let i = text.lastIndexOf(key, valueAt); i >= floor; i = text.lastIndexOf(key, i - 1)) {
    const quote = text[i - 1] === '"' || text[i - 1] === "'" ? text[i - 1]! : '';
    const start = quote ? i - 1 : i;
    const after = text.slice(i + key.length, i + key.length + 64);
    const before = start === 0 ? '\n' : text[start - 1]!;
    if ((quote ? after.startsWith(quote) && /^.[ \t]*:/.test(after) : /^[ \t]*:/.test(after)) && /[\s{,?-]/.test(before)) return start;
    if (i === 0) break;
  }
  return undefined;
}

/**
 * The location of `offset` in `source`; when the text is known, its end (the end of the token
 * that starts there) can be found later with `withEnd`.
 */
export function locate(source: SourceText, offset: number): Location {
  const p = source.lines.linePos(offset);
  return source.text === undefined ? { file: source.file, line: p.line, column: p.col } : new TextLocation(source, offset, p.line, p.col);
}

/** A location in YAML text that finds the end of its token when a diagnostic is kept. */
class TextLocation implements Location, Spanned {
  file: string;
  line: number;
  column: number;
  readonly #source: SourceText;
  readonly #offset: number;

  constructor(source: SourceText, offset: number, line: number, column: number) {
    this.file = source.file;
    this.line = line;
    this.column = column;
    this.#source = source;
    this.#offset = offset;
  }

  spanEnd(): { line: number; col: number } | undefined {
    const text = this.#source.text;
    if (text === undefined || this.#offset >= text.length) return undefined;
    return this.#source.lines.linePos(tokenEnd(text, this.#offset));
  }
}

/** Longest span searched for the end of a quoted scalar or a flow collection. */
const MAX_TOKEN = 16 * 1024;

/**
 * Offset just after the YAML token starting at `start`: a quoted scalar to its closing quote
 * (over lines), a flow collection to its closing bracket, a block scalar's indicator line, a
 * plain scalar or key to the end of its line (before ` #`, or before `: ` when it is a key).
 */
export function tokenEnd(text: string, start: number): number {
  const limit = Math.min(text.length, start + MAX_TOKEN);
  const c = text[start];
  if (c === '"' || c === "'") return quotedEnd(text, start, limit);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let i = start; i < limit; i++) {
      const ch = text[i];
      if (ch === '"' || ch === "'") i = quotedEnd(text, i, limit) - 1;
      else if (ch === '{' || ch === '[') depth++;
      else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
    }
    return lineEnd(text, start);
  }
  let end = lineEnd(text, start);
  const comment = text.slice(start, end).indexOf(' #');
  if (comment >= 0) end = start + comment;
  const inFlow = insideFlow(text, start);
  for (let i = start; i < end; i++) {
    const ch = text[i];
    if (
      (ch === ':' && (i + 1 === end || text[i + 1] === ' ' || text[i + 1] === '\t')) ||
      (inFlow && (ch === ',' || ch === ']' || ch === '}'))
    ) {
      end = i;
      break;
    }
  }
  while (end > start + 1 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return end;
}

/** Whether `start` sits inside a flow collection opened earlier on its line (`{a: 1, b: 2}`). */
function insideFlow(text: string, start: number): boolean {
  let depth = 0;
  for (let i = text.lastIndexOf('\n', start - 1) + 1; i < start; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") i = quotedEnd(text, i, start) - 1;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth = Math.max(0, depth - 1);
  }
  return depth > 0;
}

function quotedEnd(text: string, start: number, limit: number): number {
  const q = text[start];
  for (let i = start + 1; i < limit; i++) {
    const ch = text[i];
    if (q === '"' && ch === '\\') i++;
    else if (ch === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return lineEnd(text, start);
}

function lineEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  const end = nl < 0 ? text.length : nl;
  return end > start && text[end - 1] === '\r' ? end - 1 : end;
}
