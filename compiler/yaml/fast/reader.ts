/**
 * A fast reader for the plain subset of YAML that pipelines and templates are written in:
 * one document of block mappings and sequences, flow collections, plain and quoted one-line
 * scalars, and literal or folded block scalars, under the YAML 1.2 core schema.
 *
 * It either answers exactly as `yaml`'s `parseAllDocuments` followed by our converter would
 * (the same values, the same offsets in the same `Positions` entries), or says "not mine" and
 * the caller falls back to the full library. Anything unusual — anchors, aliases, tags, merge
 * keys, tabs, a CR alone (CRLF line ends are read), several documents, multi-line plain or quoted scalars, explicit keys,
 * duplicate keys, any error — is "not mine", so the library alone decides what an error is
 * and how it is reported. `test/compiler/yaml-fast.test.ts` holds the two readers to the same
 * answers over the fixture corpus, the real Harness files and mutated inputs.
 *
 * Why: the library builds a concrete syntax tree and a document model before our converter
 * walks it again; for a fleet audit that was half of the time (2.7 ms for a 7.5 KB pipeline,
 * against under 0.2 ms here).
 */
/**
 * The `yaml` version this reader was verified against (the differential test above). The
 * package is pinned to it exactly; an upgrade is deliberate: bump the pin, re-run
 * `test/compiler/yaml-fast.test.ts`, then bump this.
 */
export const YAML_VERIFIED_VERSION = '2.9.1';

import type { Positions, SourceText } from '../positions.js';
import { MAX_NESTING } from '../limits.js';

const NO_KEYS: ReadonlySet<string> = new Set();
import { blockScalarValue, type Chomping } from './scalars.js';
import {
  APOS,
  COLON,
  COMMA,
  CR,
  DASH,
  GT,
  HASH,
  isBlank,
  isBreak,
  LBRACE,
  LBRACK,
  NOT_MINE,
  PIPE,
  QUOTE,
  RBRACE,
  RBRACK,
  Scanner,
  SP,
} from './scanner.js';

/** What `readFastYaml` returns for text it does not read. */
export const FALLBACK = Symbol('fallback');

/** One document read by the fast path: its value and the offset where its content starts. */
export interface FastDocument {
  value: unknown;
  offset: number;
}

/**
 * Characters that are never in text we read: control characters (`\p{Cc}`, tab included) but
 * LF, CR and NEL, a CR not before LF, BOM, non-characters.
 */
const UNUSUAL = /[^\P{Cc}\n\r\u0085]|[\ufeff\ufffe\uffff]|\r(?!\n)/u;

/**
 * Reads `text` when it is one document in the subset; returns `FALLBACK` otherwise. Objects
 * of the value are registered in `positions` with `source`.
 */
export function readFastYaml(
  text: string,
  source: SourceText,
  positions: Positions,
  verbatimKeys: ReadonlySet<string> = NO_KEYS,
): FastDocument | typeof FALLBACK {
  if (UNUSUAL.test(text)) return FALLBACK;
  try {
    return new Reader(text, source, positions, verbatimKeys).document();
  } catch (e) {
    if (e === NOT_MINE || e instanceof RangeError) return FALLBACK;
    throw e;
  }
}

/** The block and flow structure of one document, over the scanner. */
class Reader extends Scanner {
  private depth = 0;

  constructor(
    text: string,
    source: SourceText,
    positions: Positions,
    /** Keys whose numeric-looking values stay the text written (`versionLabel: 1.10`). */
    private readonly verbatimKeys: ReadonlySet<string>,
  ) {
    super(text, source, positions);
  }

  /** One level deeper into collections; past `MAX_NESTING`, the library reports it. */
  private enter(): void {
    if (++this.depth > MAX_NESTING) throw NOT_MINE;
  }
  document(): FastDocument {
    this.pos = 0;
    this.skipStartMarker();
    this.nextContent();
    if (this.indent < 0) throw NOT_MINE;
    if (this.at() === 37 /* % */) throw NOT_MINE;
    const offset = this.pos;
    const value = this.blockNode(-1, false);
    if (this.indent >= 0) throw NOT_MINE;
    return { value, offset };
  }

  /** Past a `---` line that starts the document (after blank and comment lines), if any. */
  private skipStartMarker(): void {
    const s = this.s;
    let p = 0;
    for (;;) {
      let q = p;
      while (s.charCodeAt(q) === SP) q++;
      const c = s.charCodeAt(q);
      if (isBreak(c)) {
        p = q + 1;
        continue;
      }
      if (c === HASH) {
        const e = s.indexOf('\n', q);
        if (e < 0) return;
        p = e + 1;
        continue;
      }
      if (q === p && s.startsWith('---', q) && isBlank(s.charCodeAt(q + 3))) {
        this.pos = q + 3;
        this.endLine(); // anything but a comment after the marker is not ours
      }
      return;
    }
  }

  /** A node whose first character is at `pos`, inside a block whose indentation is `parent`. */
  private blockNode(parent: number, verbatim: boolean): unknown {
    const c = this.at();
    if (c === DASH && isBlank(this.at(this.pos + 1))) return this.blockSeq(this.column());
    if (this.keyEnd() >= 0) return this.blockMap(this.column());
    return this.inlineValue(parent, verbatim);
  }

  private blockSeq(n: number): unknown[] {
    this.enter();
    const arr: unknown[] = [];
    const keys = new Map<string | number, number>();
    const offset = this.pos;
    for (;;) {
      const afterDash = this.pos + 1;
      this.pos = afterDash;
      while (this.at() === SP) this.pos++;
      const c = this.at();
      let item: unknown = null;
      // An empty item sits where its content would have started.
      let itemAt = this.pos;
      if (isBreak(c) || c === HASH || c !== c) {
        this.endLine();
        this.nextContent();
        if (this.indent > n) {
          itemAt = this.pos;
          item = this.blockNode(n, false);
        }
      } else {
        itemAt = this.pos;
        item = this.blockNode(n, false);
      }
      keys.set(arr.length, itemAt);
      arr.push(item);
      if (this.indent === n && this.at() === DASH && isBlank(this.at(this.pos + 1))) continue;
      if (this.indent > n) throw NOT_MINE;
      break;
    }
    this.record(arr, offset, keys);
    this.depth--;
    return arr;
  }

  private blockMap(n: number): Record<string, unknown> {
    this.enter();
    const obj: Record<string, unknown> = {};
    const keys = new Map<string | number, number>();
    const offset = this.pos;
    for (;;) {
      const end = this.keyEnd();
      if (end < 0) throw NOT_MINE;
      const key = this.key(end);
      if (Object.prototype.hasOwnProperty.call(obj, key)) throw NOT_MINE;
      this.pos = end + 1;
      while (this.at() === SP) this.pos++;
      const c = this.at();
      const verbatim = this.verbatimKeys.has(key);
      let value: unknown = null;
      let valueAt = this.pos;
      if (isBreak(c) || c === HASH || c !== c) {
        this.endLine();
        this.nextContent();
        if (this.indent > n || (this.indent === n && this.at() === DASH && isBlank(this.at(this.pos + 1)))) {
          valueAt = this.pos;
          value = this.indent === n ? this.blockSeq(n) : this.blockNode(n, verbatim);
        }
      } else {
        valueAt = this.pos;
        value = this.inlineValue(n, verbatim);
      }
      keys.set(key, valueAt);
      obj[key] = value;
      if (this.indent === n) {
        if (this.at() === DASH && isBlank(this.at(this.pos + 1))) throw NOT_MINE;
        continue;
      }
      if (this.indent > n) throw NOT_MINE;
      break;
    }
    this.record(obj, offset, keys);
    this.depth--;
    return obj;
  }

  /**
   * A value that starts on the current line (a scalar, a flow collection or a block scalar),
   * through the end of its last line; then moves to the next content line.
   */
  private inlineValue(parent: number, verbatim: boolean): unknown {
    const c = this.at();
    let value: unknown;
    if (c === PIPE || c === GT) return this.blockScalar(parent);
    if (c === LBRACK || c === LBRACE) value = this.flowCollection(parent);
    else if (c === QUOTE || c === APOS) value = this.quoted();
    else if (this.plainStart(this.pos, false)) value = this.blockPlain(verbatim);
    else throw NOT_MINE;
    this.endLine();
    this.nextContent();
    // A more indented line would continue a multi-line scalar (or be an error).
    if (this.indent > parent) throw NOT_MINE;
    return value;
  }

  /** A literal (`|`) or folded (`>`) block scalar whose header is at `pos`. */
  private blockScalar(parent: number): string {
    const s = this.s;
    const folded = this.at() === GT;
    this.pos++;
    let chomp: Chomping = 'clip';
    if (this.at() === DASH) chomp = 'strip';
    else if (this.at() === 43 /* + */) chomp = 'keep';
    if (chomp !== 'clip') this.pos++;
    if (!isBlank(this.at()) && this.at() !== HASH) throw NOT_MINE; // indentation indicator
    this.endLine();
    if (this.pos >= s.length) throw NOT_MINE;
    // Lines of the scalar: content lines with the indentation removed, and empty lines.
    const lines: string[] = [];
    let indent = -1;
    let leadingSpaces = 0;
    let p = this.pos;
    while (p < s.length) {
      const nl = s.indexOf('\n', p);
      // The content ends before the line break (and before the CR of a CRLF one).
      const e = nl < 0 ? s.length : nl > p && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      const next = nl < 0 ? s.length : nl + 1;
      let q = p;
      while (q < e && s.charCodeAt(q) === SP) q++;
      if (q === p && this.isDocumentMarker(p)) throw NOT_MINE; // `---` or `...` ends the document
      if (q === e) {
        // An empty line: more spaces than the indentation would make it content.
        if (indent >= 0 && q - p > indent) throw NOT_MINE;
        if (nl < 0) break; // spaces at the very end are no line
        if (indent < 0) leadingSpaces = Math.max(leadingSpaces, q - p);
        lines.push('');
        p = next;
        continue;
      }
      if (indent < 0) {
        indent = q - p;
        if (indent <= parent || leadingSpaces > indent) throw NOT_MINE;
      }
      if (q - p < indent) break;
      lines.push(s.slice(p + indent, e));
      p = next;
    }
    if (indent < 0) throw NOT_MINE;
    const value = blockScalarValue(lines, folded, chomp);
    this.pos = p;
    this.nextContent();
    if (this.indent > parent) throw NOT_MINE;
    return value;
  }

  /** A flow collection at `pos`, through its closing bracket. */
  private flowCollection(parent: number): unknown {
    this.enter();
    const open = this.at();
    const start = this.pos;
    this.pos++;
    const keys = new Map<string | number, number>();
    if (open === LBRACK) {
      const arr: unknown[] = [];
      for (;;) {
        this.flowSpace(parent);
        if (this.at() === RBRACK) break;
        keys.set(arr.length, this.pos);
        arr.push(this.flowNode(parent, false));
        if (this.flowItemEnd(parent, RBRACK)) break;
      }
      this.pos++;
      this.record(arr, start, keys);
      this.depth--;
      return arr;
    }
    const obj: Record<string, unknown> = {};
    let offset = start;
    for (;;) {
      this.flowSpace(parent);
      if (this.at() === RBRACE) break;
      const keyAt = this.pos;
      if (keys.size === 0) offset = keyAt;
      const c = this.at();
      let key: string;
      if (c === QUOTE || c === APOS) key = this.quoted();
      else if (this.plainStart(this.pos, true)) key = String(this.flowPlain(parent, false));
      else throw NOT_MINE;
      if (key === '<<' || key === '__proto__' || Object.prototype.hasOwnProperty.call(obj, key)) throw NOT_MINE;
      this.flowSpace(parent);
      if (this.at() !== COLON) throw NOT_MINE;
      this.pos++;
      this.flowSpace(parent);
      const v = this.at();
      if (v === COMMA || v === RBRACE) throw NOT_MINE; // an empty value
      keys.set(key, this.pos);
      obj[key] = this.flowNode(parent, this.verbatimKeys.has(key));
      if (this.flowItemEnd(parent, RBRACE)) break;
    }
    this.pos++;
    this.record(obj, offset, keys);
    this.depth--;
    return obj;
  }

  /** After an item of a flow collection: past its comma (false), or at the closing bracket (true). */
  private flowItemEnd(parent: number, close: number): boolean {
    this.flowSpace(parent);
    const c = this.at();
    if (c === close) return true;
    if (c !== COMMA) throw NOT_MINE;
    this.pos++;
    return false;
  }

  private flowNode(parent: number, verbatim: boolean): unknown {
    const c = this.at();
    if (c === LBRACK || c === LBRACE) return this.flowCollection(parent);
    if (c === QUOTE || c === APOS) return this.quoted();
    if (this.plainStart(this.pos, true)) return this.flowPlain(parent, verbatim);
    throw NOT_MINE;
  }
}
