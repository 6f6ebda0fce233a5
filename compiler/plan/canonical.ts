/**
 * Canonical JSON: keys sorted by code unit, no insignificant whitespace, `undefined` dropped.
 * The digest of a template version and of a plan is the sha256 of this form, so two values
 * that are equal as data always have the same digest.
 */
import { createHash } from 'node:crypto';
import { setOwn } from '../own.js';

/**
 * Canonical JSON text of `value` (compact). Written directly, without a sorted copy: the
 * same text as `JSON.stringify(sortKeys(value))`, for a fraction of the allocations (digests
 * of every plan and template version go through here).
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'object': {
      if (Array.isArray(v)) return '[' + v.map((x) => write(x) ?? 'null').join(',') + ']';
      const o = v as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof o.toJSON === 'function') return write(o.toJSON());
      const parts: string[] = [];
      for (const k of Object.keys(o).sort()) {
        const x = write(o[k]);
        if (x !== undefined) parts.push(JSON.stringify(k) + ':' + x);
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      return undefined;
  }
}

/** Pretty canonical JSON (2-space indent), byte-identical for equal data. */
export function canonicalPretty(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

/** A deep copy of `value` whose objects have their keys inserted in sorted order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(src).sort()) {
      const v = src[k];
      if (v !== undefined) setOwn(out, k, sortKeys(v));
    }
    return out;
  }
  return value;
}

/** `sha256:<hex>` of a string. */
export function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function digestOf(value: unknown): string {
  return sha256(canonicalJson(value));
}
