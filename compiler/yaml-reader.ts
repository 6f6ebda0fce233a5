/**
 * YAML reading with source positions.
 *
 * Files in the plain subset pipelines are written in are read by the fast reader
 * (`yaml-fast.ts`); anything else is parsed with `yaml`'s `parseAllDocuments` and a
 * `LineCounter`, then converted to plain JS values by our own walk. Both record where every
 * object and every key came from in a `Positions` table. The values are ordinary objects, so the rest of the compiler works
 * on plain data; the table answers "where is this?" when a diagnostic needs a location.
 */
import { setOwn } from './own.js';
import type { Document, Node } from 'yaml';
import { yamlLibrary } from './yaml-library.js';
import { FALLBACK, MAX_NESTING, readFastYaml, VERBATIM_KEYS } from './yaml-fast.js';
import { Codes, LocatedError, type DiagnosticBag, type Location } from './diagnostics.js';
import { aliasBombAt } from './alias-prescan.js';
import { documentBudget, SizeBudget } from './size-budget.js';

/** Largest file the compiler reads, in bytes. */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Nodes that alias expansion may produce in one document before it is called a bomb. */
export const MAX_ALIAS_NODES = 10_000;

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

function locate(source: SourceText, offset: number): Location {
  const p = source.lines.linePos(offset);
  return { file: source.file, line: p.line, column: p.col };
}

/**
 * The process-wide table. Entries live as long as their objects, so sharing it between
 * compiles (and with template sources) costs nothing and lets a location be found for any
 * value, whichever file it came from.
 */
export const sourcePositions = new Positions();

/** One YAML document of a file, converted to plain data. */
export interface YamlDoc {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  /** Line where the document starts (1-based). */
  line: number;
}

export interface ReadOptions {
  maxBytes?: number | undefined;
  /**
   * Most bytes (approximate JSON size) the documents of a file may expand to through aliases;
   * default `documentBudget(text length)`: 4 × the text plus 1 MB, at most 16 MB (PW1008).
   */
  maxExpandedBytes?: number;
}

/**
 * Parses `text` (the content of `file`) into documents. YAML errors become diagnostics in
 * `bag`; a document with errors is still returned when it has contents, so schema checks can
 * continue where that is meaningful. Never throws for bad input.
 */
export function readYaml(file: string, text: string, positions: Positions, bag: DiagnosticBag, options: ReadOptions = {}): YamlDoc[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) {
    bag.error(Codes.FILE_TOO_LARGE, `file is ${size} bytes, over the limit of ${maxBytes} bytes`, { file, line: 1, column: 1 });
    return [];
  }
  const source: SourceText = { file, lines: new TextLines(text), text };
  const fast = readFastYaml(text, source, positions);
  if (fast !== FALLBACK) return [{ file, index: 0, value: fast.value, line: locate(source, fast.offset).line }];
  const budget = options.maxExpandedBytes ?? documentBudget(text.length);
  const bomb = aliasBombAt(text, budget);
  if (bomb !== undefined) {
    bag.error(Codes.DOCUMENT_TOO_LARGE, `aliases expand this document past ${budget} bytes, its limit (alias bomb?)`, locate(source, bomb));
    return [];
  }
  return readWithLibrary(file, text, positions, bag, budget);
}

/** The full `yaml` library: every YAML feature, and its errors as diagnostics. */
export function readWithLibrary(
  file: string,
  text: string,
  positions: Positions,
  bag: DiagnosticBag,
  maxExpandedBytes = documentBudget(text.length),
): YamlDoc[] {
  const { LineCounter, parseAllDocuments } = yamlLibrary();
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  // An empty stream yields an EmptyStream object: no documents.
  if (!Array.isArray(docs)) return [];
  const out: YamlDoc[] = [];
  // One budget for the file: many small documents may not each expand to the whole limit.
  const budget = new SizeBudget(maxExpandedBytes);
  docs.forEach((doc, index) => {
    for (const err of doc.errors) {
      const p = lc.linePos(err.pos[0]);
      const [line, column] = [p.line, p.col];
      if (/Maximum call stack/.test(err.message)) {
        bag.error(Codes.NESTING_TOO_DEEP, `mappings and sequences nest far deeper than ${MAX_NESTING} levels`, { file, line, column });
        continue;
      }
      const code = err.code === 'DUPLICATE_KEY' ? Codes.DUPLICATE_KEY : Codes.YAML_SYNTAX;
      bag.error(code, firstLine(err.message), { file, line, column });
    }
    if (doc.errors.length > 0) return;
    const start = doc.contents ? lc.linePos(doc.contents.range[0]).line : 1;
    const conv = new Converter({ file, lines: lc, text }, doc, positions, budget);
    try {
      out.push({ file, index, value: conv.node(doc.contents), line: start });
    } catch (e) {
      if (e instanceof LocatedError) {
        bag.error(e.code, e.message, e.location);
      } else throw e;
    }
  });
  return out;
}

function firstLine(msg: string): string {
  const i = msg.indexOf('\n');
  return (i < 0 ? msg : msg.slice(0, i)).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Converts one document to plain data, counting what it produces: nodes made by alias
 * expansion (PW1003 past `MAX_ALIAS_NODES`) and the size of everything (PW1008 past the
 * budget, located at the outermost alias being expanded).
 */
class Converter {
  private aliasNodes = 0;
  /** The outermost alias being expanded, where a size problem is reported. */
  private alias: Node | undefined;

  constructor(
    private readonly source: SourceText,
    private readonly doc: Document,
    private readonly positions: Positions,
    private readonly budget: SizeBudget,
  ) {}

  /** Counts `bytes` of output; past the budget, the document is refused. */
  private grow(bytes: number, n: unknown): void {
    if (!this.budget.add(bytes)) return;
    throw new LocatedError(
      Codes.DOCUMENT_TOO_LARGE,
      `aliases expand this document past ${this.budget.limit} bytes, its limit (alias bomb?)`,
      this.located(this.alias ?? (n as Node)),
    );
  }

  private off(node: Node | null | undefined): number {
    return node?.range?.[0] ?? 0;
  }

  private located(node: Node | null | undefined): Location {
    return locate(this.source, this.off(node));
  }

  node(n: unknown, inAlias = false, verbatim = false, depth = 0): unknown {
    if (n === null || n === undefined) return null;
    const { isAlias, isMap, isPair, isScalar, isSeq } = yamlLibrary();
    if (inAlias && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw new LocatedError(
        Codes.ALIAS_LIMIT,
        `alias expansion produces more than ${MAX_ALIAS_NODES} nodes (alias bomb?)`,
        this.located(n as Node),
      );
    }
    if (isScalar(n)) {
      const v = n.value;
      this.grow(typeof v === 'string' ? v.length + 2 : 4, n);
      if (verbatim && typeof v === 'number' && typeof n.source === 'string') return n.source;
      return v === undefined ? null : v;
    }
    if (isAlias(n)) {
      const target = n.resolve(this.doc);
      if (!target) {
        throw new LocatedError(Codes.YAML_SYNTAX, `unresolved alias *${n.source}`, this.located(n));
      }
      const outer = this.alias === undefined;
      if (outer) this.alias = n;
      try {
        return this.node(target, true, verbatim, depth);
      } finally {
        if (outer) this.alias = undefined;
      }
    }
    if ((isSeq(n) || isMap(n)) && depth >= MAX_NESTING) {
      throw new LocatedError(
        Codes.NESTING_TOO_DEEP,
        `mappings and sequences nest deeper than ${MAX_NESTING} levels here`,
        this.located(n as Node),
      );
    }
    if (isSeq(n)) {
      this.grow(2 + n.items.length, n);
      const arr: unknown[] = [];
      const keys = new Map<string | number, number>();
      for (const item of n.items) {
        keys.set(arr.length, this.off(item as Node));
        arr.push(this.node(item, inAlias, false, depth + 1));
      }
      this.positions.set(arr, { source: this.source, offset: this.off(n), keys });
      return arr;
    }
    if (isMap(n)) {
      this.grow(2 + n.items.length, n);
      const obj: Record<string, unknown> = {};
      const keys = new Map<string | number, number>();
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const key = this.node(pair.key, inAlias, false, depth + 1);
        const k = typeof key === 'string' ? key : String(key);
        if (k === '<<' && pair.value) {
          this.merge(obj, keys, this.node(pair.value, inAlias, false, depth + 1));
          continue;
        }
        const valueNode = pair.value as Node | null;
        keys.set(k, valueNode && valueNode.range ? this.off(valueNode) : this.off(pair.key as Node));
        const value = this.node(valueNode, inAlias, VERBATIM_KEYS.has(k), depth + 1);
        if (k === '__proto__') Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
        else obj[k] = value;
      }
      this.positions.set(obj, { source: this.source, offset: this.off((n.items[0]?.key as Node) ?? n), keys });
      return obj;
    }
    return null;
  }

  /** YAML merge keys (`<<: *base`): keys already present win. */
  private merge(obj: Record<string, unknown>, keys: Map<string | number, number>, src: unknown): void {
    const list = Array.isArray(src) ? src : [src];
    for (const m of list) {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) continue;
      const mp = this.positions.get(m);
      for (const [k, v] of Object.entries(m)) {
        if (Object.prototype.hasOwnProperty.call(obj, k)) continue;
        // An own property even for `__proto__`: plain assignment would set obj's prototype,
        // and the node would inherit the merged fields (a step's type and command).
        setOwn(obj, k, v);
        const kp = mp?.keys.get(k);
        if (kp !== undefined) keys.set(k, kp);
      }
    }
  }
}
