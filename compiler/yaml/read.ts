/**
 * YAML reading with source positions.
 *
 * Files in the plain subset pipelines are written in are read by the fast reader
 * (`fast/reader.ts`); anything else is parsed with `yaml`'s `parseAllDocuments` and a
 * `LineCounter`, then converted to plain JS values by our own walk. Both record where every
 * object and every key came from in a `Positions` table. The values are ordinary objects, so the rest of the compiler works
 * on plain data; the table answers "where is this?" when a diagnostic needs a location.
 */
import { setOwn } from '../own.js';
import type { Document, Node } from 'yaml';
import { yamlLibrary } from './library.js';
import { FALLBACK, readFastYaml } from './fast/reader.js';
import { MAX_ALIAS_NODES } from './limits.js';
import { DEFAULT_MAX_FILE_BYTES, MAX_NESTING } from './limits.js';
import { TextLines, locate, type Positions, type SourceText } from './positions.js';
import { Codes, LocatedError, type DiagnosticBag, type Location } from '../diagnostics.js';
import { aliasBombAt } from './alias-prescan.js';
import { documentBudget, SizeBudget } from '../size-budget.js';

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
  /**
   * Keys whose numeric-looking values are kept as the text written (`1.10`, not 1.1): the
   * caller's knowledge of its format (the compiler passes Harness's `versionLabel`).
   */
  verbatimKeys?: ReadonlySet<string>;
}

const NO_KEYS: ReadonlySet<string> = new Set();

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
  const verbatimKeys = options.verbatimKeys ?? NO_KEYS;
  const fast = readFastYaml(text, source, positions, verbatimKeys);
  if (fast !== FALLBACK) return [{ file, index: 0, value: fast.value, line: locate(source, fast.offset).line }];
  const budget = options.maxExpandedBytes ?? documentBudget(text.length);
  const bomb = aliasBombAt(text, budget);
  if (bomb !== undefined) {
    bag.error(Codes.DOCUMENT_TOO_LARGE, `aliases expand this document past ${budget} bytes, its limit (alias bomb?)`, locate(source, bomb));
    return [];
  }
  return readWithLibrary(file, text, positions, bag, budget, verbatimKeys);
}

/** The full `yaml` library: every YAML feature, and its errors as diagnostics. */
export function readWithLibrary(
  file: string,
  text: string,
  positions: Positions,
  bag: DiagnosticBag,
  maxExpandedBytes = documentBudget(text.length),
  verbatimKeys: ReadonlySet<string> = NO_KEYS,
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
    const conv = new Converter({ file, lines: lc, text }, doc, positions, budget, verbatimKeys);
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
    private readonly verbatimKeys: ReadonlySet<string>,
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
      throw new LocatedError(Codes.NESTING_TOO_DEEP, `mappings and sequences nest deeper than ${MAX_NESTING} levels here`, this.located(n));
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
        const value = this.node(valueNode, inAlias, this.verbatimKeys.has(k), depth + 1);
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
      for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
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
