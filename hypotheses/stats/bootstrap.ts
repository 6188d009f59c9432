/**
 * Two-level (seeds × units) percentile bootstrap of a grand mean.
 *
 * Data: a complete matrix x[s][u] of per-unit values (e.g. per-query overlap@10, or per-query
 * differences binary − float nDCG@10) for S seeds and U units that every seed shares (the same
 * queries of a fixed corpus, the same windows of a fixed text). The statistic is the grand mean
 * over all S·U cells.
 *
 * One replicate draws S seed indices with replacement and, independently, U unit indices with
 * replacement (a crossed design: the units are shared by the seeds, so one draw of units serves
 * every drawn seed), and takes the mean of x over the drawn seeds × drawn units. The CI is the
 * percentile interval of B replicates at `level` (two-sided), with numpy's default ("linear",
 * Hyndman–Fan type 7) quantiles. For a deterministic variant (every seed row identical) the seed
 * draw changes nothing and this is the ordinary one-level bootstrap over units.
 *
 * Randomness: a seeded xorshift128 generator (Marsaglia 2003), so results are reproducible bit for
 * bit and can be replicated outside TypeScript (test/fixtures/stats/generate.py does so); pure, so
 * it runs in workflow code too.
 */
import { StatsInputError, assertFiniteArray } from './errors.js';

/** Uniform [0, 1) numbers from xorshift128, its 4 words seeded from `seed` by an LCG. */
export function xorshift128(seed: number): () => number {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  let x = next(), y = next(), z = next(), w = next();
  if ((x | y | z | w) === 0) w = 1;
  return () => {
    const t = (x ^ (x << 11)) >>> 0;
    x = y; y = z; z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w / 4294967296;
  };
}

/** Quantile of sorted values with linear interpolation (numpy.percentile's default). */
export function quantileLinear(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new StatsInputError('sorted', 'quantileLinear needs at least one value');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface BootstrapOptions {
  /** replicates; default 2000 */
  readonly replicates?: number;
  /** two-sided confidence level; default 0.95 */
  readonly level?: number;
  /** generator seed; default 20261201 */
  readonly seed?: number;
}

export interface BootstrapCi {
  readonly method: 'two-level percentile bootstrap (seeds × units, crossed)';
  readonly mean: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly level: number;
  readonly replicates: number;
  readonly seed: number;
  readonly nSeeds: number;
  readonly nUnits: number;
}

export const BOOTSTRAP_DEFAULTS = { replicates: 2000, level: 0.95, seed: 20261201 } as const;

/** Two-level percentile bootstrap CI of the grand mean of `x` (rows = seeds, columns = units). */
export function twoLevelBootstrapCi(x: readonly (readonly number[])[], opts: BootstrapOptions = {}): BootstrapCi {
  const B = opts.replicates ?? BOOTSTRAP_DEFAULTS.replicates;
  const level = opts.level ?? BOOTSTRAP_DEFAULTS.level;
  const seed = opts.seed ?? BOOTSTRAP_DEFAULTS.seed;
  const S = x.length;
  if (S < 1) throw new StatsInputError('x', 'no seeds (rows)');
  const U = x[0].length;
  if (U < 1) throw new StatsInputError('x', 'no units (columns)');
  x.forEach((row, i) => {
    if (row.length !== U) throw new StatsInputError('x', `seed row ${i} has ${row.length} units, row 0 has ${U} (the matrix must be complete)`, i);
    assertFiniteArray(`x[${i}]`, row);
  });
  if (!(level > 0 && level < 1)) throw new StatsInputError('level', `must be in (0, 1), got ${level}`);
  if (!Number.isInteger(B) || B < 10) throw new StatsInputError('replicates', `must be an integer ≥ 10, got ${B}`);
  let total = 0;
  for (const row of x) for (const v of row) total += v;
  const rand = xorshift128(seed);
  const stats = new Array<number>(B);
  const seedIdx = new Int32Array(S);
  const unitCount = new Float64Array(U);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < S; i++) seedIdx[i] = Math.floor(rand() * S);
    unitCount.fill(0);
    for (let j = 0; j < U; j++) unitCount[Math.floor(rand() * U)] += 1;
    // mean over drawn seeds × drawn units = Σ_s Σ_u count_u · x[s][u] / (S·U)
    let sum = 0;
    for (let i = 0; i < S; i++) {
      const row = x[seedIdx[i]];
      for (let u = 0; u < U; u++) if (unitCount[u]) sum += unitCount[u] * row[u];
    }
    stats[b] = sum / (S * U);
  }
  stats.sort((a, c) => a - c);
  const tail = (1 - level) / 2;
  return {
    method: 'two-level percentile bootstrap (seeds × units, crossed)', mean: total / (S * U),
    ciLow: quantileLinear(stats, tail), ciHigh: quantileLinear(stats, 1 - tail), level, replicates: B, seed, nSeeds: S, nUnits: U,
  };
}
