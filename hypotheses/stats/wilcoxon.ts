/**
 * Wilcoxon signed-rank test, matching `scipy.stats.wilcoxon` of scipy 1.17.1.
 *
 * - zeroMethod 'wilcox' (default): zero differences are dropped before ranking;
 *   'pratt': zeros are ranked with the rest, then their ranks are ignored (normal approximation
 *   adjusted as in Cureton 1967); 'zsplit': zeros are ranked and half their rank sum goes to each
 *   of R+ and R−.
 * - alternative 'two-sided' | 'greater' | 'less' (on the location of d = x − y).
 * - method:
 *   - 'exact': the exact null distribution of R+ over m = number of ranked values, by dynamic
 *     programming over rank sums (as scipy's `_get_wilcoxon_distr`). Exact only without ties or
 *     zeros; with them, like scipy, R+ is rounded conservatively (up for the lower tail, down for
 *     the upper tail). Caveat inherited from scipy: with zeroMethod 'pratt' and zeros present, the
 *     reference distribution runs over all n ranks although zeros never enter R+, so p-values are
 *     not symmetric under swapping x and y; prefer 'permutation' or 'approx' with Pratt.
 *   - 'approx' (scipy: 'asymptotic'): normal approximation with tie correction
 *     z = (R+ − m(m+1)/4) / sqrt((m(m+1)(2m+1) − Σ(t³−t)/2) / 24) (Pratt: the zeros' terms are
 *     removed) and optional continuity correction (default on, as in scipy).
 *   - 'permutation': the exact distribution of R+ over all 2^n sign flips of the observed
 *     differences (keeps ties and zeros as observed). Computed by dynamic programming over doubled
 *     rank sums, so it is exact and fast for any n; equals scipy's `PermutationMethod()` result
 *     whenever scipy enumerates all flips (n ≤ 13).
 *   - 'auto' (default): scipy 1.17.1's rule. n here counts all differences, zeros included:
 *     n > 50 → 'approx'; otherwise no ties and no zeros → 'exact'; otherwise n ≤ 13 →
 *     'permutation'; otherwise 'approx'. (scipy < 1.9 used 'exact' only up to n = 25; the protocol's
 *     "exact for n ≤ 25" is covered by both rules.)
 * - statistic: like scipy, min(R+, R−) for two-sided tests and R+ for one-sided tests.
 *
 * Small samples: the exact two-sided p-value is at least 2 / 2^n (both all-positive and
 * all-negative sign patterns are as extreme), so with n = 3 it can never go below 0.25 and no
 * test at α = 0.05 can reject; with n = 5 the floor is 0.0625. `minimumAchievablePValue` reports
 * the floor for the exact/permutation methods.
 *
 * Edge case (defined here; scipy's normal approximation gives NaN): when every difference is zero
 * (or no difference is left to rank) R+ = R− (0, or half the zero ranks each for 'zsplit') and the
 * p-value is 1, with `allZero: true`.
 */
import { assertFiniteArray, assertOneOf, assertSameLength, StatsInputError } from './errors.js';
import { averageRanks, tieCorrectionSum } from './ranks.js';
import { normalCdf, normalSf } from './distributions.js';
import { ALTERNATIVES, type Alternative } from './types.js';

export type WilcoxonZeroMethod = 'wilcox' | 'pratt' | 'zsplit';
export type WilcoxonMethod = 'auto' | 'exact' | 'approx' | 'permutation';
/** The method actually used ('auto' resolved). */
export type WilcoxonResolvedMethod = 'exact' | 'approx' | 'permutation';

export const WILCOXON_ZERO_METHODS: readonly WilcoxonZeroMethod[] = ['wilcox', 'pratt', 'zsplit'];
export const WILCOXON_METHODS: readonly WilcoxonMethod[] = ['auto', 'exact', 'approx', 'permutation'];

export interface WilcoxonOptions {
  readonly zeroMethod?: WilcoxonZeroMethod;
  readonly alternative?: Alternative;
  /** 'auto' (default), 'exact', 'approx' (also accepted: 'asymptotic'), 'permutation'. */
  readonly method?: WilcoxonMethod | 'asymptotic';
  /** Continuity correction of the normal approximation (default true, as scipy). */
  readonly correction?: boolean;
}

export interface WilcoxonResult {
  /** Number of differences, zeros included. */
  readonly n: number;
  /** Number of zero differences. */
  readonly nZero: number;
  /** Number of values in the reference distribution (n − nZero for 'wilcox', n otherwise). */
  readonly nRanked: number;
  /** Sum of ranks of positive differences (plus half the zero ranks for 'zsplit'). */
  readonly rPlus: number;
  /** Sum of ranks of negative differences (plus half the zero ranks for 'zsplit'). */
  readonly rMinus: number;
  /** scipy's statistic: min(R+, R−) two-sided, R+ one-sided. */
  readonly statistic: number;
  /** z of the normal approximation (after continuity correction; −|z| for two-sided, like scipy); null for other methods. */
  readonly z: number | null;
  readonly pValue: number;
  readonly method: WilcoxonResolvedMethod;
  readonly zeroMethod: WilcoxonZeroMethod;
  readonly alternative: Alternative;
  readonly correction: boolean;
  /** True when the absolute differences contain ties (zeros count as a group). */
  readonly hasTies: boolean;
  /** True when nothing is left to rank (every difference zero): p = 1 by definition. */
  readonly allZero: boolean;
  /**
   * Smallest p-value this test could produce with this n and alternative (exact and permutation
   * methods; null for 'approx'). Two-sided exact with n = 3: 0.25.
   */
  readonly minimumAchievablePValue: number | null;
}

const exactDistributionCache = new Map<number, Float64Array>();

/**
 * Exact null distribution of the signed-rank statistic R+ for m untied, non-zero values:
 * element r is P(R+ = r), r = 0 … m(m+1)/2. Dynamic programming over rank sums (each rank is in
 * R+ with probability 1/2).
 */
export function wilcoxonExactDistribution(m: number): Float64Array {
  if (!Number.isInteger(m) || m < 0) throw new StatsInputError('m', `expected a non-negative integer, got ${m}`);
  const cached = exactDistributionCache.get(m);
  if (cached) return cached;
  let c = new Float64Array([1]);
  for (let k = 1; k <= m; k++) {
    const next = new Float64Array((k * (k + 1)) / 2 + 1);
    for (let r = 0; r < c.length; r++) {
      const half = c[r]! * 0.5;
      next[r]! += half;
      next[r + k]! += half;
    }
    c = next;
  }
  if (m <= 200) exactDistributionCache.set(m, c);
  return c;
}

function exactCdf(pmf: Float64Array, k: number): number {
  // P(R+ ≤ k)
  if (k < 0) return 0;
  if (k >= pmf.length - 1) return 1;
  const mean = (pmf.length - 1) / 2;
  if (k <= mean) {
    let s = 0;
    for (let r = 0; r <= k; r++) s += pmf[r]!;
    return s;
  }
  let s = 0;
  for (let r = k + 1; r < pmf.length; r++) s += pmf[r]!;
  return 1 - s;
}

function exactSf(pmf: Float64Array, k: number): number {
  // P(R+ ≥ k)
  if (k <= 0) return 1;
  if (k > pmf.length - 1) return 0;
  const mean = (pmf.length - 1) / 2;
  if (k >= mean) {
    let s = 0;
    for (let r = k; r < pmf.length; r++) s += pmf[r]!;
    return s;
  }
  let s = 0;
  for (let r = 0; r < k; r++) s += pmf[r]!;
  return 1 - s;
}

/**
 * Null distribution of 2·R+ under random signs of the values with (possibly tied, half-integer)
 * ranks `ranks`: counts[s] = number of sign patterns with 2·Σ(positive ranks) = s, total 2^len.
 */
function signFlipCounts(doubledRanks: readonly number[]): Float64Array {
  let total = 0;
  for (const r of doubledRanks) total += r;
  let c = new Float64Array(total + 1);
  c[0] = 1;
  let reach = 0;
  for (const r of doubledRanks) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= reach; s++) {
      const v = c[s]!;
      if (v === 0) continue;
      next[s]! += v;
      next[s + r]! += v;
    }
    reach += r;
    c = next;
  }
  return c;
}

/**
 * Wilcoxon signed-rank test of d = x − y (or of x when y is omitted). Throws
 * {@link StatsInputError} on NaN/±Infinity or different lengths.
 */
export function wilcoxonSignedRank(
  x: readonly number[],
  y?: readonly number[] | null,
  options: WilcoxonOptions = {},
): WilcoxonResult {
  assertFiniteArray('x', x);
  let d: number[];
  if (y !== undefined && y !== null) {
    assertFiniteArray('y', y);
    assertSameLength('x', x, 'y', y);
    d = x.map((v, i) => v - y[i]!);
  } else {
    d = x.slice();
  }
  const zeroMethod = options.zeroMethod ?? 'wilcox';
  assertOneOf('zeroMethod', zeroMethod, WILCOXON_ZERO_METHODS);
  const alternative = options.alternative ?? 'two-sided';
  assertOneOf('alternative', alternative, ALTERNATIVES);
  let requested = options.method ?? 'auto';
  if (requested === 'asymptotic') requested = 'approx';
  assertOneOf('method', requested, WILCOXON_METHODS);
  const correction = options.correction ?? true;
  if (typeof correction !== 'boolean') throw new StatsInputError('correction', 'expected a boolean');

  const n = d.length;
  if (n === 0) throw new StatsInputError(y ? 'y' : 'x', 'the Wilcoxon test needs at least one difference');
  let nZero = 0;
  for (const v of d) if (v === 0) nZero++;

  // Values that are ranked: for 'wilcox' the non-zero differences only.
  const ranked = zeroMethod === 'wilcox' ? d.filter((v) => v !== 0) : d;
  const m = ranked.length;
  const { ranks, tieGroupSizes, hasTies } = averageRanks(ranked.map(Math.abs));

  let rPlus = 0;
  let rMinus = 0;
  let zeroRankSum = 0;
  for (let i = 0; i < m; i++) {
    const v = ranked[i]!;
    if (v > 0) rPlus += ranks[i]!;
    else if (v < 0) rMinus += ranks[i]!;
    else zeroRankSum += ranks[i]!;
  }
  if (zeroMethod === 'zsplit') {
    rPlus += zeroRankSum / 2;
    rMinus += zeroRankSum / 2;
  }
  const statistic = alternative === 'two-sided' ? Math.min(rPlus, rMinus) : rPlus;

  // Resolve 'auto' (scipy 1.17.1).
  let method: WilcoxonResolvedMethod;
  if (requested === 'auto') {
    if (n > 50) method = 'approx';
    else if (!(hasTies || nZero > 0)) method = 'exact';
    else if (n <= 13) method = 'permutation';
    else method = 'approx';
  } else {
    method = requested;
  }

  const allZero = m === 0 || nZero === n;
  const common = {
    n,
    nZero,
    nRanked: m,
    rPlus,
    rMinus,
    statistic,
    method,
    zeroMethod,
    alternative,
    correction,
    hasTies,
    allZero,
  };

  const floor = (perTail: number) => (alternative === 'two-sided' ? Math.min(1, 2 * perTail) : perTail);

  if (allZero) {
    return {
      ...common,
      z: null,
      pValue: 1,
      minimumAchievablePValue: method === 'approx' ? null : 1,
    };
  }

  if (method === 'approx') {
    let mean = (m * (m + 1)) * 0.25;
    let varTerm = m * (m + 1) * (2 * m + 1);
    let tieSizes = tieGroupSizes;
    if (zeroMethod === 'pratt' && nZero > 0) {
      mean -= nZero * (nZero + 1) * 0.25;
      varTerm -= nZero * (nZero + 1) * (2 * nZero + 1);
      // zeros are the lowest absolute values: the first tie group; leave it out of the correction
      tieSizes = tieGroupSizes.slice(1);
    }
    const se = Math.sqrt((varTerm - tieCorrectionSum(tieSizes) / 2) / 24);
    let z = (rPlus - mean) / se;
    if (correction) {
      const sign = alternative === 'greater' ? 1 : alternative === 'less' ? -1 : Math.sign(z);
      z -= (sign * 0.5) / se;
    }
    let pValue: number;
    if (alternative === 'greater') pValue = normalSf(z);
    else if (alternative === 'less') pValue = normalCdf(z);
    else pValue = 2 * normalSf(Math.abs(z));
    return {
      ...common,
      z: alternative === 'two-sided' ? -Math.abs(z) : z,
      pValue,
      minimumAchievablePValue: null,
    };
  }

  if (method === 'exact') {
    const pmf = wilcoxonExactDistribution(m);
    const lowerP = () => exactCdf(pmf, Math.ceil(rPlus));
    const upperP = () => exactSf(pmf, Math.floor(rPlus));
    let pValue: number;
    if (alternative === 'less') pValue = lowerP();
    else if (alternative === 'greater') pValue = upperP();
    else pValue = Math.min(1, Math.max(0, 2 * Math.min(upperP(), lowerP())));
    return {
      ...common,
      z: null,
      pValue,
      minimumAchievablePValue: floor(pmf[0]!),
    };
  }

  // 'permutation': exact sign-flip distribution of R+ with the observed (tied) ranks.
  // Zeros do not change R+ when flipped ('wilcox' drops them; 'pratt'/'zsplit' contribute a constant).
  const doubled: number[] = [];
  for (let i = 0; i < m; i++) if (ranked[i] !== 0) doubled.push(Math.round(2 * ranks[i]!));
  const counts = signFlipCounts(doubled);
  const total = 2 ** doubled.length;
  const constant = zeroMethod === 'zsplit' ? Math.round(zeroRankSum) : 0; // 2 · (zeroRankSum / 2)
  const observed = Math.round(2 * rPlus) - constant;
  let le = 0;
  let ge = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c === 0) continue;
    if (s <= observed) le += c;
    if (s >= observed) ge += c;
  }
  const pLess = le / total;
  const pGreater = ge / total;
  let pValue: number;
  if (alternative === 'less') pValue = pLess;
  else if (alternative === 'greater') pValue = pGreater;
  else pValue = Math.min(1, 2 * Math.min(pLess, pGreater));
  return {
    ...common,
    z: null,
    pValue,
    minimumAchievablePValue: floor(1 / total),
  };
}
