/**
 * Canonical JSON: keys sorted by code unit, no insignificant whitespace, `undefined` dropped.
 * The digest of a template version and of a plan is the sha256 of this form, so two values
 * that are equal as data always have the same digest.
 */
import { createHash } from 'node:crypto';

/** Canonical JSON text of `value` (compact). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
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
      if (v !== undefined) out[k] = sortKeys(v);
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
