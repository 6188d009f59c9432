/** Average ranks with tie information (scipy's `rankdata(method='average')`). */

export interface RankResult {
  /** 1-based average ranks, in the order of the input. */
  readonly ranks: number[];
  /** Sizes of the groups of equal values, in increasing order of value (1 for an untied value). */
  readonly tieGroupSizes: number[];
  /** True when at least two values are equal. */
  readonly hasTies: boolean;
}

/** Ranks `values` from 1 to n, giving tied values the average of the ranks they span. */
export function averageRanks(values: readonly number[]): RankResult {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i);
  // Stable sort by value (Array.prototype.sort is stable in ES2019+).
  order.sort((i, j) => values[i]! - values[j]!);
  const ranks = new Array<number>(n);
  const tieGroupSizes: number[] = [];
  let hasTies = false;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const size = end - start;
    if (size > 1) hasTies = true;
    tieGroupSizes.push(size);
    // ordinal ranks start+1 .. end, average = start + 1 + (size − 1)/2
    const rank = start + 1 + (size - 1) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return { ranks, tieGroupSizes, hasTies };
}

/** Σ (t³ − t) over tie groups: the tie-correction term shared by rank tests. */
export function tieCorrectionSum(tieGroupSizes: readonly number[]): number {
  let s = 0;
  for (const t of tieGroupSizes) s += t * t * t - t;
  return s;
}
