/**
 * A small YAML emitter for the corpus generator: it writes one tree in the many ways Harness
 * files are written — block or flow collections, plain / single / double quoted / literal
 * scalars, sequences indented under their key or not (Harness's editor indents them; the
 * go-convert goldens in /work/shared/corpus/harness-v0 do not), comments, anchors and
 * aliases. Every choice is drawn from the generator's seeded PRNG, so output is
 * deterministic. It only writes what it can prove a YAML 1.2 reader gives back unchanged
 * (a string that could read as a number, boolean or null is quoted).
 */

export type Rng = () => number;

/** A scalar (string, number, boolean, null), a mapping, a sequence or an alias. */
export type Node = string | number | boolean | null | MapNode | SeqNode | AliasNode | StrNode;
export interface MapNode {
  t: 'map';
  e: Entry[];
  /** Force block (false) or flow (true); undefined lets the emitter choose. */
  flow?: boolean;
  anchor?: string | undefined;
}
export interface Entry {
  k: string;
  v: Node;
  /** A comment line written above the key (block mappings only). */
  comment?: string | undefined;
  /** Write the key quoted (`"5432": ...`). */
  quoteKey?: boolean;
}
export interface SeqNode {
  t: 'seq';
  items: Node[];
  flow?: boolean;
  anchor?: string | undefined;
}
export interface AliasNode {
  t: 'alias';
  name: string;
}
/** A string with a forced style. */
export interface StrNode {
  t: 'str';
  v: string;
  style: 'plain' | 'single' | 'double' | 'literal';
}

/** Builds a mapping from an object, in key order; `undefined` values are left out. */
export function map(o: Record<string, Node | undefined>, flow?: boolean): MapNode {
  const e: Entry[] = [];
  for (const [k, v] of Object.entries(o)) if (v !== undefined) e.push({ k, v });
  return flow === undefined ? { t: 'map', e } : { t: 'map', e, flow };
}
export function seq(items: Node[], flow?: boolean): SeqNode {
  return flow === undefined ? { t: 'seq', items } : { t: 'seq', items, flow };
}

export interface EmitStyle {
  /** Block sequences under a key indented by two (Harness editor) or not (go-convert). */
  seqIndent: boolean;
  /** Chance that a small collection is written in flow style. */
  flowP: number;
  /** Chance that a string that could be plain is quoted anyway. */
  quoteP: number;
  /** Chance of a comment line above a block key / after a scalar. */
  commentP: number;
}

const COMMENTS = [
  'managed in the Harness pipeline studio',
  'TODO: move to a template',
  'see runbook',
  'do not change without platform team review',
  'kept for the nightly job',
  'reviewed 2024-03',
  'ünïcode comment ✓',
];

const RESERVED = /^(?:true|false|null|~|yes|no|on|off|y|n)$/i;
const NUMBERISH = /^[-+]?(?:\.?\d|\.(?:inf|nan)$)/i;
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** True when `s` reads back as the same string written plain. */
export function plainOk(s: string, flow: boolean): boolean {
  if (s === '' || s !== s.trim()) return false;
  // An ASCII control character (tab, line breaks and DEL included) or a byte order mark.
  if (/(?=\p{ASCII})\p{Cc}|\ufeff/u.test(s)) return false;
  if (RESERVED.test(s)) return false;
  if (NUMBERISH.test(s) && !DURATION.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s)) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (flow && /[,[\]{}]|:/.test(s)) return false;
  return true;
}

const dq = (s: string) => JSON.stringify(s);
const sq = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class Emitter {
  private readonly lines: string[] = [];
  constructor(
    private readonly rng: Rng,
    private readonly style: EmitStyle,
  ) {}

  private chance(p: number): boolean {
    return this.rng() < p;
  }

  /** The whole document for a root mapping. */
  document(root: MapNode, header: string[] = []): string {
    for (const h of header) this.lines.push(h);
    this.blockMap(root, 0);
    return this.lines.join('\n') + '\n';
  }

  private scalar(v: Node, flow: boolean): string {
    if (v === null) return this.chance(0.5) ? 'null' : '~';
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    if (typeof v === 'string') {
      if (plainOk(v, flow) && !this.chance(this.style.quoteP)) return v;
      if (/[\n\r\t\\"]/.test(v) || /[^\x20-\x7e]/.test(v) || this.chance(0.5)) return dq(v);
      return sq(v);
    }
    if (typeof v === 'object' && v.t === 'str') {
      if (v.style === 'plain' && plainOk(v.v, flow)) return v.v;
      if (v.style === 'single' && !/[\n\r\t]/.test(v.v)) return sq(v.v);
      return dq(v.v);
    }
    throw new Error('not a scalar');
  }

  private isScalar(v: Node): boolean {
    return v === null || typeof v !== 'object' || v.t === 'str';
  }

  private size(v: Node): number {
    if (this.isScalar(v)) return typeof v === 'string' ? 1 + Math.floor(v.length / 20) : 1;
    if (typeof v !== 'object' || v === null) return 1;
    if (v.t === 'map') return v.e.reduce((n: number, e) => n + 1 + this.size(e.v), 0);
    if (v.t === 'seq') return v.items.reduce((n: number, i) => n + this.size(i), 1);
    return 1;
  }

  private multiline(v: Node): boolean {
    if (typeof v === 'string') return v.includes('\n');
    if (v === null || typeof v !== 'object') return false;
    if (v.t === 'str') return v.v.includes('\n') || v.style === 'literal';
    if (v.t === 'map') return v.e.some((e) => this.multiline(e.v));
    if (v.t === 'seq') return v.items.some((i) => this.multiline(i));
    return false;
  }

  private hasAnchorOrAlias(v: Node): boolean {
    if (v === null || typeof v !== 'object') return false;
    if (v.t === 'alias') return true;
    if (v.t === 'map') return !!v.anchor || v.e.some((e) => this.hasAnchorOrAlias(e.v));
    if (v.t === 'seq') return !!v.anchor || v.items.some((i) => this.hasAnchorOrAlias(i));
    return false;
  }

  private readonly flowChoice = new WeakMap<object, boolean>();

  /** Whether a collection is written in flow style (decided once per node). */
  private useFlow(v: MapNode | SeqNode): boolean {
    if (v.flow !== undefined) return v.flow;
    const known = this.flowChoice.get(v);
    if (known !== undefined) return known;
    const choice = this.chooseFlow(v);
    this.flowChoice.set(v, choice);
    return choice;
  }

  private chooseFlow(v: MapNode | SeqNode): boolean {
    const empty = v.t === 'map' ? v.e.length === 0 : v.items.length === 0;
    if (empty) return true;
    if (this.multiline(v) || this.hasAnchorOrAlias({ ...v, anchor: undefined })) return false;
    return this.size(v) <= 8 && this.chance(this.style.flowP);
  }

  private flowText(v: Node): string {
    if (this.isScalar(v)) return this.scalar(v, true);
    const n = v as MapNode | SeqNode | AliasNode;
    if (n.t === 'alias') return `*${n.name}`;
    const a = n.anchor ? `&${n.anchor} ` : '';
    if (n.t === 'map') return `${a}{${n.e.map((e) => `${this.key(e)}: ${this.flowText(e.v)}`).join(', ')}}`;
    return `${a}[${n.items.map((i) => this.flowText(i)).join(', ')}]`;
  }

  private key(e: Entry): string {
    return e.quoteKey ? dq(e.k) : e.k;
  }

  private trailing(): string {
    return this.chance(this.style.commentP / 3) ? `  # ${COMMENTS[Math.floor(this.rng() * COMMENTS.length)]}` : '';
  }

  private blockMap(m: MapNode, indent: number): void {
    const sp = ' '.repeat(indent);
    for (const [i, e] of m.e.entries()) {
      if (e.comment) this.lines.push(`${sp}# ${e.comment}`);
      else if (i > 0 && this.chance(this.style.commentP)) this.lines.push(`${sp}# ${COMMENTS[Math.floor(this.rng() * COMMENTS.length)]}`);
      this.value(`${sp}${this.key(e)}:`, e.v, indent);
    }
  }

  /** Writes `head` (a key with its colon, or a `-` item marker) followed by `v`. */
  private value(head: string, v: Node, indent: number): void {
    if (v !== null && typeof v === 'object' && v.t === 'alias') {
      this.lines.push(`${head} *${v.name}`);
      return;
    }
    const literal =
      (typeof v === 'string' && v.includes('\n') && !v.includes('\r') && !/^\s/.test(v) && !/[ \t]$/m.test(v)) ||
      (typeof v === 'object' && v !== null && v.t === 'str' && v.style === 'literal');
    if (literal) {
      const text = typeof v === 'string' ? v : v.v;
      this.lines.push(`${head} |${text.endsWith('\n') ? '' : '-'}`);
      const body = text.endsWith('\n') ? text.slice(0, -1) : text;
      for (const line of body.split('\n')) this.lines.push(line === '' ? '' : `${' '.repeat(indent + 2)}${line}`);
      return;
    }
    if (this.isScalar(v)) {
      this.lines.push(`${head} ${this.scalar(v, false)}${this.trailing()}`);
      return;
    }
    const n = v as MapNode | SeqNode;
    const a = n.anchor ? ` &${n.anchor}` : '';
    if (this.useFlow(n)) {
      this.lines.push(`${head} ${this.flowText(n)}`);
      return;
    }
    this.lines.push(`${head}${a}`);
    if (n.t === 'map') this.blockMap(n, indent + 2);
    else this.blockSeq(n, this.style.seqIndent || head.trimStart().startsWith('-') ? indent + 2 : indent);
  }

  private blockSeq(s: SeqNode, indent: number): void {
    const sp = ' '.repeat(indent);
    for (const item of s.items) {
      if (item !== null && typeof item === 'object' && item.t === 'map' && !item.anchor && !this.useFlow(item)) {
        // `- key: value` with the rest of the mapping under the first key.
        const start = this.lines.length;
        this.blockMap({ ...item, e: item.e.map((e, i) => (i === 0 ? { ...e, comment: undefined } : e)), flow: false }, indent + 2);
        const first = this.lines[start]!;
        this.lines[start] = `${sp}- ${first.slice(indent + 2)}`;
        continue;
      }
      this.value(`${sp}-`, item, indent);
    }
  }
}
