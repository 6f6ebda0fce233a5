/**
 * List elements of a Harness document (`- step:`, `- stage:`, `- stepGroup:`, `- parallel:`,
 * variables `- name:`) and how overlays find "the same element" in another list: by kind and
 * identifier (or variable name), as Harness input sets do, else by position.
 */

const WRAPPERS = ['step', 'stepGroup', 'stage', 'parallel'] as const;

/** `step:build`, `stage:test`, `var:region`, or undefined for an anonymous element. */
export function elementIdentity(item: unknown): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  for (const w of WRAPPERS) {
    const inner = o[w];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const id = (inner as Record<string, unknown>)['identifier'];
      if (typeof id === 'string') return `${w}:${id}`;
    }
  }
  if (typeof o['identifier'] === 'string') return `id:${o['identifier']}`;
  if (typeof o['name'] === 'string' && ('value' in o || 'type' in o)) return `var:${o['name']}`;
  return undefined;
}

/** The element of `list` that corresponds to `item` (found at index `index` of its own list). */
export function matchElement(list: unknown[], item: unknown, index: number): unknown {
  const id = elementIdentity(item);
  if (id !== undefined) {
    for (const candidate of list) if (elementIdentity(candidate) === id) return candidate;
    return undefined;
  }
  return list[index];
}

/** The inner node of a wrapped element and its kind, or undefined. */
export function unwrap(item: unknown): { kind: (typeof WRAPPERS)[number]; node: Record<string, unknown> } | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  for (const w of WRAPPERS) {
    if (w in o) return { kind: w, node: o[w] as Record<string, unknown> };
  }
  return undefined;
}
