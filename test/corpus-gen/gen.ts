/**
 * The state of the corpus generator while it writes one pipeline: the seeded PRNG and the
 * random draws built on it, identifiers already used, the features the pipeline holds, and
 * what earlier stages left for later ones (variables, addressable stages, stage variables
 * and outputs). The generating functions of the other files take it as their first argument.
 */
import type { GapName } from './types.js';
import type { Output, PVar } from './model.js';
import { NAMES_UNICODE } from './vocabulary.js';
import type { Rng } from './yaml-emit.js';

export class Gen {
  readonly used = new Map<string, Set<string>>();
  readonly features = new Set<string>();
  pvars: PVar[] = [];
  anchorCount = 0;
  envAnchor: string | undefined;
  /** Stages whose steps may be addressed from later stages. */
  readonly addressable = new Set<string>();
  readonly stageVarsOf = new Map<string, string[]>();
  /** The outputs each finished stage declares (for references from later stages). */
  readonly stageOutputs = new Map<string, Output[]>();
  /** Whether the pipeline has a codebase (its CI stages may clone it). */
  cloneCodebase = false;
  /** The last Kubernetes CI stage (a later CI stage may `useFromStage` it). */
  lastK8sStage: string | undefined;

  constructor(
    readonly rng: Rng,
    readonly index: number,
    readonly gaps: Record<GapName, boolean>,
  ) {}

  // -- random helpers -------------------------------------------------------------------

  r(): number {
    return this.rng();
  }
  chance(p: number): boolean {
    return this.rng() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)]!;
  }
  weighted<T>(xs: readonly [T, number][]): T {
    const total = xs.reduce((n, [, w]) => n + w, 0);
    let x = this.rng() * total;
    for (const [v, w] of xs) {
      if ((x -= w) < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
  sample<T>(xs: readonly T[], n: number): T[] {
    const copy = [...xs];
    const out: T[] = [];
    while (out.length < n && copy.length) out.push(copy.splice(Math.floor(this.rng() * copy.length), 1)[0]!);
    return out;
  }
  feat(f: string): void {
    this.features.add(f);
  }

  /**
   * A fresh identifier in `scope` from `base`. Never ends in `_<digit>`, so strategy copies
   * (`id_0`) cannot collide with another node.
   */
  ident(scope: string, base: string): string {
    const set = this.used.get(scope) ?? new Set<string>();
    this.used.set(scope, set);
    let id = base;
    for (let n = 2; set.has(id); n++) id = `${base}${String.fromCharCode(96 + ((n - 2) % 26) + 1)}${n > 27 ? n : ''}`;
    set.add(id);
    return id;
  }

  /** A display name for an identifier, as the pipeline studio derives it (sometimes edited). */
  nameFor(id: string): string {
    if (this.chance(0.04)) {
      this.feat('unicode-name');
      return this.pick(NAMES_UNICODE);
    }
    if (this.chance(0.5)) return id;
    return id.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
  }
}
