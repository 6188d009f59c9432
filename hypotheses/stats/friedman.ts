/**
 * Friedman test for k ≥ 3 related treatments measured on the same n blocks (seeds), matching
 * `scipy.stats.friedmanchisquare(*treatments)`:
 *
 *   ranks within each block (average ranks for ties), R_j = rank sum of treatment j,
 *   χ² = [12 / (n k (k + 1)) · Σ R_j² − 3 n (k + 1)] / C,
 *   C = 1 − Σ_blocks Σ_ties (t³ − t) / (n k (k² − 1)),  p = P(χ²_{k−1} > χ²).
 *
 * Input is a matrix `data[block][treatment]` (one row per seed, one column per treatment/family).
 *
 * Edge cases: k < 3 (scipy refuses) or n < 2 → `insufficient: true`, no statistic. When every
 * block is entirely tied (C = 0; scipy returns NaN) the statistic is defined as 0 and p = 1,
 * with `allTied: true`.
 */
import { assertFiniteArray, StatsInputError } from './errors.js';
import { averageRanks, tieCorrectionSum } from './ranks.js';
import { chiSquareSf } from './distributions.js';

interface FriedmanCommon {
  /** Number of blocks (rows). */
  readonly blocks: number;
  /** Number of treatments (columns). */
  readonly treatments: number;
}

export interface FriedmanResult extends FriedmanCommon {
  readonly insufficient: false;
  /** Friedman χ² with tie correction. */
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  /** Rank sum of each treatment (column), in input order. */
  readonly rankSums: number[];
  /** Mean rank of each treatment (1 = smallest value within a block). */
  readonly meanRanks: number[];
  /** Tie correction factor C (1 without ties). */
  readonly tieCorrection: number;
  /** Kendall's W = χ² / (n (k − 1)), agreement between blocks (0…1). */
  readonly kendallW: number;
  /** True when every block is entirely tied (C = 0): statistic 0, p = 1 by definition. */
  readonly allTied: boolean;
}

export interface InsufficientFriedmanResult extends FriedmanCommon {
  readonly insufficient: true;
  readonly reason: string;
  readonly statistic: null;
  readonly df: null;
  readonly pValue: null;
}

export type FriedmanTestResult = FriedmanResult | InsufficientFriedmanResult;

/** Friedman rank test on `data[block][treatment]`. Throws {@link StatsInputError} on NaN/±Infinity or ragged rows. */
export function friedmanTest(data: readonly (readonly number[])[]): FriedmanTestResult {
  if (!Array.isArray(data)) throw new StatsInputError('data', 'expected a matrix data[block][treatment]');
  const n = data.length;
  const k = n > 0 ? data[0]!.length : 0;
  for (let i = 0; i < n; i++) {
    const row = data[i]!;
    if (!Array.isArray(row)) throw new StatsInputError('data', 'expected an array of treatment values', i);
    if (row.length !== k) {
      throw new StatsInputError('data', `every block needs ${k} treatment values (like block 0), got ${row.length}`, i);
    }
    assertFiniteArray(`data[${i}]`, row);
  }
  if (k < 3) {
    return {
      insufficient: true,
      reason: `the Friedman test needs at least 3 treatments, got ${k}`,
      blocks: n,
      treatments: k,
      statistic: null,
      df: null,
      pValue: null,
    };
  }
  if (n < 2) {
    return {
      insufficient: true,
      reason: `the Friedman test needs at least 2 blocks, got ${n}`,
      blocks: n,
      treatments: k,
      statistic: null,
      df: null,
      pValue: null,
    };
  }
  const rankSums = new Array<number>(k).fill(0);
  let ties = 0;
  for (const row of data) {
    const { ranks, tieGroupSizes } = averageRanks(row);
    for (let j = 0; j < k; j++) rankSums[j]! += ranks[j]!;
    ties += tieCorrectionSum(tieGroupSizes);
  }
  let ssbn = 0;
  for (const r of rankSums) ssbn += r * r;
  const c = 1 - ties / (k * (k * k - 1) * n);
  const df = k - 1;
  const meanRanks = rankSums.map((r) => r / n);
  if (c <= 0) {
    return {
      insufficient: false,
      blocks: n,
      treatments: k,
      statistic: 0,
      df,
      pValue: 1,
      rankSums,
      meanRanks,
      tieCorrection: 0,
      kendallW: 0,
      allTied: true,
    };
  }
  const statistic = ((12 / (k * n * (k + 1))) * ssbn - 3 * n * (k + 1)) / c;
  return {
    insufficient: false,
    blocks: n,
    treatments: k,
    statistic,
    df,
    pValue: chiSquareSf(statistic, df),
    rankSums,
    meanRanks,
    tieCorrection: c,
    kendallW: statistic / (n * (k - 1)),
    allTied: false,
  };
}
