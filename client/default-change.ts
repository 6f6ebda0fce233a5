/**
 * How a changed input default reads, for the CLI's `template diff` and the catalog's diff
 * page: a default that appears is "added", one that disappears "removed" (the input becomes
 * required), else the old and the new value.
 */

/** One input whose default differs between two versions (`undefined`: no default). */
export interface DefaultChange {
  name: string;
  from: unknown;
  to: unknown;
}

/** `default "." removed`, `default "src" added`, or undefined when both sides have a default. */
export function defaultAppearance(c: DefaultChange): string | undefined {
  if (c.from === undefined && c.to !== undefined) return `default ${JSON.stringify(c.to)} added`;
  if (c.to === undefined && c.from !== undefined) return `default ${JSON.stringify(c.from)} removed`;
  return undefined;
}
