/**
 * How a matrix becomes copies, shared by the compiler (axes known when compiling) and the
 * runtime (axes only a run knows, expanded when the step is reached): every combination of
 * the axes' values, in axis order, minus the excluded ones, each named as Harness names it —
 * the identifier plus the index of each axis value (`build_0_1`).
 */

/** One copy: its id suffix and the values its expressions see. */
export interface StrategyCopy {
  /** Appended to the identifier: `_0`, `_1_2`. */
  suffix: string;
  /** Values for expressions: `<+matrix.x>`, `<+strategy.iteration>`, `<+repeat.item>`. */
  values: { matrix?: Record<string, unknown>; iteration: number; iterations: number; item?: unknown };
}

/** The copies of a matrix whose axes are known lists. */
export function matrixCopies(axes: [string, unknown[]][], exclude: unknown[]): StrategyCopy[] {
  let combos: { idx: number[]; values: Record<string, unknown> }[] = [{ idx: [], values: {} }];
  for (const [name, vals] of axes) {
    const next: typeof combos = [];
    for (const c of combos) vals.forEach((val, i) => next.push({ idx: [...c.idx, i], values: { ...c.values, [name]: val } }));
    combos = next;
  }
  const excluded = (values: Record<string, unknown>) =>
    exclude.some(
      (ex) => !!ex && typeof ex === 'object' && Object.entries(ex).every(([k, v]) => JSON.stringify(values[k]) === JSON.stringify(v)),
    );
  const kept = combos.filter((c) => !excluded(c.values));
  return kept.map((c, i) => ({ suffix: `_${c.idx.join('_')}`, values: { matrix: c.values, iteration: i, iterations: kept.length } }));
}

/** The copies of `parallelism: n` or `repeat.times: n`. */
export function countCopies(n: number): StrategyCopy[] {
  return Array.from({ length: n }, (_, i) => ({ suffix: `_${i}`, values: { iteration: i, iterations: n } }));
}

/** The copies of `repeat.items`. */
export function itemCopies(items: unknown[]): StrategyCopy[] {
  return items.map((item, i) => ({ suffix: `_${i}`, values: { iteration: i, iterations: items.length, item } }));
}
