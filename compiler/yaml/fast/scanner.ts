/**
 * The lexical level of the fast YAML reader (`reader.ts`): moving over lines, blank lines
 * and comments, finding implicit keys, and reading one-line scalars (plain and quoted) in
 * block and flow context. Text outside the subset throws `NOT_MINE`.
 */
import type { NodePosition, Positions, SourceText } from '../positions.js';
import { resolvePlain, unescapeDouble } from './scalars.js';

/** Thrown inside the reader when the text leaves the subset; never escapes `readFastYaml`. */
class NotMine extends Error {
  constructor() {
    super('text outside the fast reader subset');
  }
}
export const NOT_MINE = new NotMine();

export const NL = 10,
  CR = 13,
  SP = 32,
  HASH = 35,
  DASH = 45,
  COLON = 58,
  QUOTE = 34,
  APOS = 39;
export const LBRACK = 91,
  RBRACK = 93,
  LBRACE = 123,
  RBRACE = 125,
  COMMA = 44;
export const PIPE = 124,
  GT = 62,
  DOT = 46;

/** Longest implicit key YAML allows. */
const MAX_KEY = 1024;

export function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE;
}

/** A line break, or the CR of a CRLF one (a CR alone never reaches the reader). */
export function isBreak(c: number): boolean {
  return c === NL || c === CR;
}

/** Blank: a space, a line break or the end of the text (NaN). */
export function isBlank(c: number): boolean {
  return c === SP || c === NL || c === CR || c !== c;
}

/** A position in the text, and the reading of what is at it. */
export class Scanner {
  protected pos = 0;

  /** Indentation of the line `pos` is on, after `nextContent`; -1 at the end of the text. */
  protected indent = -1;

  constructor(
    protected readonly s: string,
    protected readonly source: SourceText,
    protected readonly positions: Positions,
  ) {}

  protected at(p = this.pos): number {
    return this.s.charCodeAt(p);
  }

  protected column(p = this.pos): number {
    return p - (this.s.lastIndexOf('\n', p - 1) + 1);
  }

  protected record(obj: object, offset: number, keys: Map<string | number, number>): void {
    const pos: NodePosition = { source: this.source, offset, keys };
    this.positions.set(obj, pos);
  }

  /**
   * Moves `pos` from the start of a line past blank and comment lines to the first content
   * character, setting `indent`; at the end of the text `indent` is -1.
   */
  protected nextContent(): void {
    const s = this.s;
    const n = s.length;
    let p = this.pos;
    for (;;) {
      const lineStart = p;
      while (p < n && s.charCodeAt(p) === SP) p++;
      if (p >= n) {
        this.pos = n;
        this.indent = -1;
        return;
      }
      const c = s.charCodeAt(p);
      if (isBreak(c)) {
        p++;
        continue;
      }
      if (c === HASH) {
        const e = s.indexOf('\n', p);
        if (e < 0) {
          this.pos = n;
          this.indent = -1;
          return;
        }
        p = e + 1;
        continue;
      }
      if (p === lineStart && (c === DASH || c === DOT) && this.isDocumentMarker(p)) throw NOT_MINE;
      this.pos = p;
      this.indent = p - lineStart;
      return;
    }
  }

  protected isDocumentMarker(p: number): boolean {
    const s = this.s;
    return (s.startsWith('---', p) || s.startsWith('...', p)) && isBlank(s.charCodeAt(p + 3));
  }

  /** Ends a line after a value: spaces, an optional comment, then a line break or the end. */
  protected endLine(): void {
    const s = this.s;
    let p = this.pos;
    while (s.charCodeAt(p) === SP) p++;
    const c = s.charCodeAt(p);
    if (c === HASH) {
      if (p > 0 && !isBlank(s.charCodeAt(p - 1))) throw NOT_MINE; // a comment needs a space before it
      const e = s.indexOf('\n', p);
      p = e < 0 ? s.length : e;
    } else if (c === c && !isBreak(c)) throw NOT_MINE;
    this.pos = p >= s.length ? p : s.charCodeAt(p) === CR ? p + 2 : p + 1;
  }

  /**
   * When the line at `pos` starts with an implicit key (`key:` followed by a blank), the
   * offset of its colon; otherwise -1. Plain keys stop at a comment.
   */
  protected keyEnd(): number {
    const s = this.s;
    let p = this.pos;
    const c = s.charCodeAt(p);
    if (c === QUOTE || c === APOS) {
      const close = this.quotedEnd(p);
      if (close < 0) return -1;
      p = close + 1;
      while (s.charCodeAt(p) === SP) p++;
      return s.charCodeAt(p) === COLON && isBlank(s.charCodeAt(p + 1)) ? p : -1;
    }
    if (!this.plainStart(p, false)) return -1;
    const limit = Math.min(s.length, p + MAX_KEY);
    for (p++; p < limit; p++) {
      const d = s.charCodeAt(p);
      if (isBreak(d)) return -1;
      if (d === COLON && isBlank(s.charCodeAt(p + 1))) return p;
      if (d === HASH && s.charCodeAt(p - 1) === SP) return -1;
    }
    return -1;
  }

  /** The key that starts at `pos` and whose colon is at `colon`, as the converter names it. */
  protected key(colon: number): string {
    const c = this.at();
    let key: string;
    if (c === QUOTE || c === APOS) key = this.quoted();
    else {
      let e = colon;
      while (this.s.charCodeAt(e - 1) === SP) e--;
      key = String(resolvePlain(this.s.slice(this.pos, e), false));
    }
    if (key === '<<' || key === '__proto__') throw NOT_MINE;
    return key;
  }

  /** Whether a plain scalar may start at `p` (in flow context, flow indicators end it). */
  protected plainStart(p: number, flow: boolean): boolean {
    const c = this.s.charCodeAt(p);
    if (isBlank(c)) return false;
    if (c === DASH || c === 63 /* ? */ || c === COLON) {
      const d = this.s.charCodeAt(p + 1);
      return !isBlank(d) && !(flow && isFlowIndicator(d));
    }
    // , [ ] { } # & * ! | > ' " % @ `
    return !(
      isFlowIndicator(c) ||
      c === HASH ||
      c === 38 ||
      c === 42 ||
      c === 33 ||
      c === PIPE ||
      c === GT ||
      c === APOS ||
      c === QUOTE ||
      c === 37 ||
      c === 64 ||
      c === 96
    );
  }

  /**
   * End of the one-line plain scalar at `pos`, trailing spaces left out. It stops at a
   * comment or the line's end, in flow context also at a flow indicator or a `:` before one;
   * a `: ` inside a block scalar would be a nested mapping: not ours.
   */
  private plainEnd(flow: boolean): number {
    const s = this.s;
    let end = this.pos;
    for (let p = this.pos; p < s.length; p++) {
      const d = s.charCodeAt(p);
      if (isBreak(d) || (flow && isFlowIndicator(d))) break;
      if (d === SP) continue;
      if (d === HASH && s.charCodeAt(p - 1) === SP) break;
      if (d === COLON) {
        const e = s.charCodeAt(p + 1);
        if (isBlank(e) && !flow) throw NOT_MINE;
        if (isBlank(e) || (flow && isFlowIndicator(e))) break;
      }
      end = p + 1;
    }
    return end;
  }

  /** A one-line plain scalar in block context. */
  protected blockPlain(verbatim: boolean): unknown {
    const start = this.pos;
    this.pos = this.plainEnd(false);
    return resolvePlain(this.s.slice(start, this.pos), verbatim);
  }

  /** Offset of the closing quote of the one-line quoted scalar opening at `p`, or -1. */
  protected quotedEnd(p: number): number {
    const s = this.s;
    const q = s.charCodeAt(p);
    for (let i = p + 1; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (isBreak(d)) return -1;
      if (q === QUOTE && d === 92 /* \ */) i++;
      else if (d === q) {
        if (q === APOS && s.charCodeAt(i + 1) === APOS) i++;
        else return i;
      }
    }
    return -1;
  }

  /** A one-line quoted scalar at `pos`; `pos` ends after the closing quote. */
  protected quoted(): string {
    const s = this.s;
    const open = this.pos;
    const close = this.quotedEnd(open);
    if (close < 0) throw NOT_MINE;
    this.pos = close + 1;
    const body = s.slice(open + 1, close);
    if (s.charCodeAt(open) === APOS) return body.includes("''") ? body.replaceAll("''", "'") : body;
    const value = unescapeDouble(body);
    if (value === undefined) throw NOT_MINE;
    return value;
  }

  /** A one-line plain scalar inside a flow collection. */
  protected flowPlain(parent: number, verbatim: boolean): unknown {
    const start = this.pos;
    this.pos = this.plainEnd(true);
    const value = resolvePlain(this.s.slice(start, this.pos), verbatim);
    // A scalar that goes on past a line break is multi-line: not ours.
    this.flowSpace(parent);
    const c = this.at();
    if (this.s.lastIndexOf('\n', this.pos) > start && c !== COMMA && c !== RBRACK && c !== RBRACE) throw NOT_MINE;
    return value;
  }

  /** Spaces, line breaks and comments inside a flow collection. */
  protected flowSpace(parent: number): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === SP) p++;
      else if (c === HASH && (p === 0 || isBlank(s.charCodeAt(p - 1)))) {
        const e = s.indexOf('\n', p);
        if (e < 0) throw NOT_MINE;
        p = e;
      } else if (c === CR) p++;
      else if (c === NL) {
        p++;
        const lineStart = p;
        while (s.charCodeAt(p) === SP) p++;
        const d = s.charCodeAt(p);
        if (!isBreak(d) && d !== HASH && p - lineStart <= parent) throw NOT_MINE;
        if (p === lineStart && this.isDocumentMarker(p)) throw NOT_MINE;
      } else if (c !== c) throw NOT_MINE;
      else break;
    }
    this.pos = p;
  }
}
