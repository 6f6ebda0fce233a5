/**
 * Comparing two versions: a unified diff of their canonical content (as sorted YAML, the
 * readable form of the canonical JSON) and a summary of input changes. Both run on the event
 * loop; the YAML costs per value and the line diff grows with the square of the number of
 * changed lines, so the work is bounded (DIFF_LIMITS): past a bound the versions are reported
 * as too large to show line by line, quickly, instead of holding up every other request.
 * Nothing is cached.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { sortKeys } from '../compiler/index.js';
import type { InputDecl } from '../compiler/index.js';
import type { VersionRow } from './store.js';

export interface InputChanges {
  added: string[];
  removed: string[];
  retyped: { name: string; from: string; to: string }[];
  defaultChanged: { name: string; from: unknown; to: unknown }[];
  /** Inputs that became required (no default any more). */
  nowRequired: string[];
}

/** Bounds on the line diff of two versions' canonical content. */
export interface DiffLimits {
  /** Canonical JSON bytes of either side; larger content is neither turned into YAML nor diffed. */
  maxBytes: number;
  /** JSON values (objects, arrays, scalars) of either side: turning them into YAML costs ~5 µs each. */
  maxValues: number;
  /** Lines of both sides' YAML together: past this the line diff's every step costs too much. */
  maxLines: number;
  /** Changed lines (removed plus added) the line diff looks for before it gives up… */
  maxEditLength: number;
  /** …unless both sides together have at most this many lines: such a diff is always cheap. */
  fullDiffLines: number;
  /** Milliseconds the line diff may run: a backstop for inputs the other bounds let through. */
  timeoutMs: number;
}

/**
 * The registry's bounds, for a few tens of ms of event-loop time per diff once the code is
 * warm: two sides of 3,000 values become YAML in ~25 ms; 250 changed lines of very different
 * content, or the complete rewrite of a 250-line template, are found in 5–15 ms.
 */
export const DIFF_LIMITS: Readonly<DiffLimits> = {
  maxBytes: 256 * 1024,
  maxValues: 3000,
  maxLines: 20_000,
  maxEditLength: 250,
  fullDiffLines: 500,
  timeoutMs: 50,
};

/** One side of a diff too large to show: what identifies and measures its content. */
export interface DiffSide {
  digest: string;
  /** Bytes of the canonical JSON. */
  bytes: number;
}

/**
 * Why a diff is not shown line by line: a side over `maxBytes` or `maxValues`, or both over
 * `maxLines` (`size`); more than `maxEditLength` changed lines in sides of more than
 * `fullDiffLines` lines (`edits`); or the time budget spent (`time`: unlike the others it
 * depends on the machine and its load).
 */
export interface DiffTooLarge {
  reason: 'size' | 'edits' | 'time';
  /** Human-readable, e.g. `too large to show line by line: more than 250 changed lines (…)`. */
  message: string;
  from: DiffSide;
  to: DiffSide;
}

/**
 * The answer of a diff (API `GET /api/v1/templates/{ref}/diff` and the catalog's diff page).
 * Within the bounds `patch` is the unified diff and `tooLarge` is absent, as it always was.
 * Past them the answer is still 200 with `tooLarge` set; `inputs` is complete; `patch` is the
 * message as a preamble line (like git's "Binary files … differ") followed by the two file
 * headers with their digests and no hunks, so a client that prints `patch` says why.
 */
export interface VersionDiff {
  ref: string;
  from: string;
  to: string;
  patch: string;
  inputs: InputChanges;
  tooLarge?: DiffTooLarge;
}

/** Canonical content as sorted YAML text. */
export function canonicalYaml(canonical: string): string {
  return yamlOf(JSON.parse(canonical));
}

const yamlOf = (value: unknown) => stringify(sortKeys(value), { lineWidth: 0 });

/** Whether `value` holds more than `max` JSON values (itself included); stops counting past `max`. */
function moreValuesThan(value: unknown, max: number): boolean {
  const stack = [value];
  let count = 1;
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    const children = Object.values(v);
    count += children.length;
    if (count > max) return true;
    for (const c of children) stack.push(c);
  }
  return false;
}

/** Diffs version `a` to version `b` of one template within `limits`; see VersionDiff. */
export function diffVersions(a: VersionRow, b: VersionRow, limits: Readonly<DiffLimits> = DIFF_LIMITS): VersionDiff {
  const inputs = inputChanges(JSON.parse(a.inputs) as Record<string, InputDecl>, JSON.parse(b.inputs) as Record<string, InputDecl>);
  const result = linePatch(a, b, limits);
  if (typeof result === 'string') return { ref: a.ref, from: a.version, to: b.version, patch: result, inputs };
  return {
    ref: a.ref,
    from: a.version,
    to: b.version,
    patch: `Files ${label(a)} and ${label(b)} differ: ${result.message}\n${headers(a, b)}`,
    inputs,
    tooLarge: result,
  };
}

const label = (v: VersionRow) => `${v.ref}@${v.version}`;

/** The unified diff's file headers alone: the patch of two versions with the same content. */
const headers = (a: VersionRow, b: VersionRow) => createTwoFilesPatch(label(a), label(b), '', '', a.digest, b.digest);

/** The unified diff of the two canonical contents, or why it is not computed. */
function linePatch(a: VersionRow, b: VersionRow, limits: Readonly<DiffLimits>): string | DiffTooLarge {
  if (a.canonical === b.canonical) return headers(a, b);
  const sides = {
    from: { digest: a.digest, bytes: Buffer.byteLength(a.canonical) },
    to: { digest: b.digest, bytes: Buffer.byteLength(b.canonical) },
  };
  const tooLarge = (reason: DiffTooLarge['reason'], why: string): DiffTooLarge => ({
    reason,
    message: `too large to show line by line: ${why} (${sides.from.bytes} → ${sides.to.bytes} bytes)`,
    ...sides,
  });
  if (Math.max(sides.from.bytes, sides.to.bytes) > limits.maxBytes)
    return tooLarge('size', `canonical content over ${limits.maxBytes} bytes`);
  const valueA: unknown = JSON.parse(a.canonical);
  const valueB: unknown = JSON.parse(b.canonical);
  if (moreValuesThan(valueA, limits.maxValues) || moreValuesThan(valueB, limits.maxValues))
    return tooLarge('size', `canonical content of more than ${limits.maxValues} values`);
  const [before, after] = [yamlOf(valueA), yamlOf(valueB)];
  const lines = before.split('\n').length + after.split('\n').length;
  if (lines > limits.maxLines) return tooLarge('size', `more than ${limits.maxLines} lines`);
  const maxEditLength = lines <= limits.fullDiffLines ? lines : limits.maxEditLength;
  const start = performance.now();
  const patch = createTwoFilesPatch(label(a), label(b), before, after, a.digest, b.digest, { maxEditLength, timeout: limits.timeoutMs });
  if (patch !== undefined) return patch;
  return performance.now() - start >= limits.timeoutMs
    ? tooLarge('time', `the line diff took over ${limits.timeoutMs} ms`)
    : tooLarge('edits', `more than ${maxEditLength} changed lines`);
}

export function inputChanges(before: Record<string, InputDecl>, after: Record<string, InputDecl>): InputChanges {
  const out: InputChanges = { added: [], removed: [], retyped: [], defaultChanged: [], nowRequired: [] };
  for (const name of Object.keys(after).sort()) {
    const b = before[name];
    const a = after[name]!;
    if (!b) {
      out.added.push(name);
      if (a.default === undefined) out.nowRequired.push(name);
      continue;
    }
    if (b.type !== a.type) out.retyped.push({ name, from: b.type, to: a.type });
    if (JSON.stringify(b.default) !== JSON.stringify(a.default)) out.defaultChanged.push({ name, from: b.default, to: a.default });
    if (b.default !== undefined && a.default === undefined) out.nowRequired.push(name);
  }
  for (const name of Object.keys(before).sort()) if (!(name in after)) out.removed.push(name);
  return out;
}
