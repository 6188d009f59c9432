/**
 * Multiple-comparison corrections over a family of p-values, matching
 * `statsmodels.stats.multitest.multipletests(pvals, alpha, method='holm' | 'fdr_bh')`:
 * adjusted p-values in the original order, capped at 1, and reject decisions at `alpha`.
 *
 * - Holm–Bonferroni (FWER): sort ascending, adjusted_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)).
 *   Reject: step-down — reject p_(1), p_(2), … while p_(i) ≤ α / (m − i + 1), stop at the first
 *   failure.
 * - Benjamini–Hochberg (FDR): adjusted_(i) = min_{j ≥ i} min(1, m p_(j) / j). Reject all p_(i)
 *   with i ≤ the largest i such that p_(i) ≤ i α / m.
 *
 * Ties among p-values receive equal adjusted values. A family of size 1 is returned unchanged
 * (adjusted = raw) with reject = p ≤ α; an empty family gives empty arrays.
 */
import { assertOpenUnitInterval, assertProbabilities } from './errors.js';

export type MultipleComparisonMethod = 'holm' | 'fdr_bh';

export interface MultipleComparisonResult {
  readonly method: MultipleComparisonMethod;
  readonly alpha: number;
  /** Family size m. */
  readonly m: number;
  /** Raw p-values as given. */
  readonly pValues: number[];
  /** Adjusted p-values, in the order of `pValues`. */
  readonly adjusted: number[];
  /** Reject decisions at `alpha`, in the order of `pValues`. */
  readonly reject: boolean[];
}

/** Indices that sort `p` ascending (stable). */
function ascendingOrder(p: readonly number[]): number[] {
  return Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
}

/** Holm–Bonferroni step-down adjusted p-values and decisions (statsmodels 'holm'). */
export function holmBonferroni(pValues: readonly number[], alpha = 0.05): MultipleComparisonResult {
  assertProbabilities('pValues', pValues);
  assertOpenUnitInterval('alpha', alpha);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  const reject = new Array<boolean>(m).fill(false);
  let running = 0;
  let stillRejecting = true;
  for (let i = 0; i < m; i++) {
    const idx = order[i]!;
    const p = pValues[idx]!;
    const raw = p * (m - i);
    if (raw > running) running = raw;
    adjusted[idx] = running > 1 ? 1 : running;
    if (stillRejecting && p <= alpha / (m - i)) reject[idx] = true;
    else stillRejecting = false;
  }
  return { method: 'holm', alpha, m, pValues: pValues.slice(), adjusted, reject };
}

/** Benjamini–Hochberg step-up adjusted p-values (q-values) and decisions (statsmodels 'fdr_bh'). */
export function benjaminiHochberg(pValues: readonly number[], alpha = 0.05): MultipleComparisonResult {
  assertProbabilities('pValues', pValues);
  assertOpenUnitInterval('alpha', alpha);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  const reject = new Array<boolean>(m).fill(false);
  let lastReject = -1;
  for (let i = 0; i < m; i++) {
    const factor = (i + 1) / m;
    if (pValues[order[i]!]! <= factor * alpha) lastReject = i;
  }
  let running = Infinity;
  for (let i = m - 1; i >= 0; i--) {
    const idx = order[i]!;
    const raw = pValues[idx]! / ((i + 1) / m);
    if (raw < running) running = raw;
    adjusted[idx] = running > 1 ? 1 : running;
    if (i <= lastReject) reject[idx] = true;
  }
  return { method: 'fdr_bh', alpha, m, pValues: pValues.slice(), adjusted, reject };
}

/** Dispatch by statsmodels' method name. */
export function adjustPValues(
  pValues: readonly number[],
  method: MultipleComparisonMethod,
  alpha = 0.05,
): MultipleComparisonResult {
  return method === 'holm' ? holmBonferroni(pValues, alpha) : benjaminiHochberg(pValues, alpha);
}
