/**
 * Bounds on how large a small input may grow: YAML aliases expanding a document, templates
 * instantiated many times over, strategies copying steps, variables substituted into each
 * other. Each phase counts the size of what it produces as it produces it (a running total,
 * never a second pass over the result) and stops at the first value past its budget.
 *
 * Sizes are approximate JSON sizes in bytes: a string counts its length plus its quotes, any
 * other scalar 4, each mapping key its length plus 2, each mapping or list 2.
 */

/** The most a document's aliases may expand it to: this much more than its text... */
export const EXPANSION_FACTOR = 4;
/** ...plus this much... */
export const EXPANSION_ALLOWANCE = 1024 * 1024;
/** ...and never more than this. Also the largest plan a compile produces. */
export const MAX_EXPANDED_BYTES = 16 * 1024 * 1024;
/** Most bytes one string field may expand to through expressions (variables using variables). */
export const MAX_FIELD_BYTES = 4 * 1024 * 1024;
/**
 * Most steps one plan may have: 2.5 times the largest pipeline the compile bench measures
 * (strategies multiply: 256 stage copies × 256 step copies would be 65,536).
 */
export const MAX_PLAN_STEPS = 25_000;
/**
 * Most `needs` entries all steps of a plan may hold together: a step after N parallel copies
 * needs all N, so copies after copies multiply (5,000 × 5,000 would be 25 million).
 */
export const MAX_PLAN_NEEDS = 1_000_000;

/** The expanded-size limit of a document whose text is `textLength` characters long. */
export function documentBudget(textLength: number): number {
  return Math.min(MAX_EXPANDED_BYTES, EXPANSION_ALLOWANCE + EXPANSION_FACTOR * textLength);
}

/** A running total against a limit. */
export class SizeBudget {
  used = 0;

  constructor(readonly limit: number) {}

  /** Adds `bytes`; true when the total is now past the limit. */
  add(bytes: number): boolean {
    this.used += bytes;
    return this.used > this.limit;
  }

  get exceeded(): boolean {
    return this.used > this.limit;
  }

  /** What may still be added before the limit. */
  get left(): number {
    return Math.max(0, this.limit - this.used);
  }
}

/**
 * The approximate JSON size of `value`, counting stops (and the result is `cap` + 1) as soon
 * as it passes `cap`: a huge value costs no more to measure than the budget it would break.
 */
export function jsonSize(value: unknown, cap = Number.MAX_SAFE_INTEGER): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (v === null || typeof v !== 'object') total += 4;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      total += 2;
      for (const k of Object.keys(v)) {
        total += k.length + 3;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
    if (total > cap) return cap + 1;
  }
  return total;
}

/** The budget of one plan: its steps, and the bytes of its steps and stages. */
export class PlanBudget {
  private readonly bytes = new SizeBudget(MAX_EXPANDED_BYTES);
  private steps = 0;
  /** Set once the plan went past either limit; flattening stops there. */
  exceeded = false;

  /** Counts a plan step (or stage); returns why the plan is now too large, or undefined. */
  admit(value: object, kind: 'step' | 'stage'): string | undefined {
    if (kind === 'step' && ++this.steps > MAX_PLAN_STEPS) {
      this.exceeded = true;
      return `the plan would have more than ${MAX_PLAN_STEPS} steps (strategies or templates multiply them)`;
    }
    if (this.bytes.add(jsonSize(value, this.bytes.left))) {
      this.exceeded = true;
      return `the plan would be larger than ${this.bytes.limit} bytes (strategies, templates or variables multiply it)`;
    }
    return undefined;
  }
}
