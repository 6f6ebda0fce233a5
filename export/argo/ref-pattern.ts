/**
 * One regular expression matching any of a step's reference texts, longest first, so one pass
 * replaces them all and a replacement is never scanned again (commands, conditions).
 */
import type { PlanRef } from '../../schemas/index.js';

/** The references of `refs` that occur in `text`, by their text, and the global pattern matching them (undefined when none does). */
export function refPattern(text: string, refs: readonly PlanRef[]): { byExpr: Map<string, PlanRef>; re: RegExp } | undefined {
  const byExpr = new Map(refs.filter((r) => text.includes(r.expr)).map((r) => [r.expr, r]));
  if (!byExpr.size) return undefined;
  const re = new RegExp(
    [...byExpr.keys()]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return { byExpr, re };
}
