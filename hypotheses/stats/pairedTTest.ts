/**
 * Paired (one-sample on differences) t-test, two-sided or one-sided, against a shift `mu`.
 *
 * Matches `scipy.stats.ttest_1samp(variant − baseline, popmean=mu, alternative=...)` (equivalently
 * `ttest_rel` when mu = 0), including its `confidence_interval(level)`.
 *
 * Non-inferiority against an absolute margin is this test with a shift: H0: mean(d) ≤ −margin is
 * tested as alternative 'greater' with mu = −margin.
 *
 * Edge cases (defined here, scipy gives inf/nan):
 * - n < 2: `insufficient: true`, no t, no p-value.
 * - zero variance (all differences equal c, n ≥ 2): se = 0, the interval collapses to [c, c].
 *   If c ≠ mu, t = ±Infinity by the sign of c − mu and p = 0 when the alternative points the way
 *   of c − mu (two-sided: always 0), p = 1 when it points the other way.
 *   If c = mu, t = 0 and p = 1 for every alternative (convention: a degenerate sample never
 *   rejects; we deliberately do not use 0.5 for one-sided tests).
 */
import { assertFiniteArray, assertFiniteNumber, assertOneOf, assertOpenUnitInterval } from './errors.js';
import { allEqual, cohensDz, pairedDifferences } from './descriptives.js';
import { mean as ssMean, sampleStandardDeviation } from 'simple-statistics';
import { studentTCdf, studentTQuantile, studentTSf } from './distributions.js';
import { ALTERNATIVES, type Alternative, type ConfidenceInterval } from './types.js';

/** Options of the t-tests. */
export interface TTestOptions {
  /** H1 direction: 'greater' means H1: mean(d) > mu. Default 'two-sided'. */
  readonly alternative?: Alternative;
  /** Null shift: H0 is about mean(d) relative to mu. Default 0. */
  readonly mu?: number;
  /** Confidence level of the interval and bound. Default 0.95. */
  readonly level?: number;
}

interface TTestCommon {
  readonly n: number;
  readonly mu: number;
  readonly alternative: Alternative;
  readonly level: number;
}

/** A t-test that could be computed (n ≥ 2). */
export interface TTestResult extends TTestCommon {
  readonly insufficient: false;
  readonly df: number;
  /** mean(d), d = variant − baseline. */
  readonly meanDifference: number;
  /** sd(d) with n − 1. */
  readonly sd: number;
  /** sd / √n. */
  readonly se: number;
  /** (mean(d) − mu) / se; ±Infinity or 0 under zero variance (see module doc). */
  readonly t: number;
  readonly pValue: number;
  /** Two-sided confidence interval of mean(d) at `level`. */
  readonly ci: ConfidenceInterval;
  /**
   * Interval matching the alternative at `level`: the two-sided interval for 'two-sided',
   * [lower, +Infinity) for 'greater', (−Infinity, upper] for 'less'.
   */
  readonly bound: ConfidenceInterval;
  /** Cohen's d_z = mean(d) / sd(d) (about 0, not mu). */
  readonly dz: number;
  /** True when all differences are equal (sd = 0): see the module doc for t and p. */
  readonly zeroVariance: boolean;
}

/** A t-test with fewer than two pairs: no test is possible. */
export interface InsufficientTTestResult extends TTestCommon {
  readonly insufficient: true;
  readonly reason: string;
  readonly df: null;
  readonly meanDifference: number | null;
  readonly sd: null;
  readonly se: null;
  readonly t: null;
  readonly pValue: null;
  readonly ci: null;
  readonly bound: null;
  readonly dz: null;
  readonly zeroVariance: false;
}

export type PairedTTestResult = TTestResult | InsufficientTTestResult;

function resolveOptions(options: TTestOptions): { alternative: Alternative; mu: number; level: number } {
  const alternative = options.alternative ?? 'two-sided';
  assertOneOf('alternative', alternative, ALTERNATIVES);
  const mu = options.mu ?? 0;
  assertFiniteNumber('mu', mu);
  const level = options.level ?? 0.95;
  assertOpenUnitInterval('level', level);
  return { alternative, mu, level };
}

/** p-value of an observed t for the given alternative. */
export function tTestPValue(t: number, df: number, alternative: Alternative): number {
  if (alternative === 'greater') return studentTSf(t, df);
  if (alternative === 'less') return studentTCdf(t, df);
  return Math.min(1, 2 * studentTSf(Math.abs(t), df));
}

/**
 * One-sample t-test of `differences` against `mu` (the paired t-test once differences are taken).
 * Throws {@link StatsInputError} on NaN/±Infinity.
 */
export function oneSampleTTest(
  differences: readonly number[],
  options: TTestOptions = {},
  name = 'differences',
): PairedTTestResult {
  assertFiniteArray(name, differences);
  const { alternative, mu, level } = resolveOptions(options);
  const n = differences.length;
  if (n < 2) {
    return {
      insufficient: true,
      reason: `a t-test needs at least 2 pairs, got ${n}`,
      n,
      mu,
      alternative,
      level,
      df: null,
      meanDifference: n === 1 ? differences[0]! : null,
      sd: null,
      se: null,
      t: null,
      pValue: null,
      ci: null,
      bound: null,
      dz: null,
      zeroVariance: false,
    };
  }
  const df = n - 1;
  const zeroVariance = allEqual(differences);
  const mean = zeroVariance ? differences[0]! : ssMean(differences as number[]);
  const sd = zeroVariance ? 0 : sampleStandardDeviation(differences as number[]);
  const se = sd / Math.sqrt(n);
  const dz = cohensDz(differences)!;

  let t: number;
  let pValue: number;
  if (zeroVariance) {
    const sign = Math.sign(mean - mu);
    t = sign === 0 ? 0 : sign * Infinity;
    if (sign === 0) pValue = 1;
    else if (alternative === 'two-sided') pValue = 0;
    else if (alternative === 'greater') pValue = sign > 0 ? 0 : 1;
    else pValue = sign < 0 ? 0 : 1;
  } else {
    t = (mean - mu) / se;
    pValue = tTestPValue(t, df, alternative);
  }

  const half = studentTQuantile(1 - (1 - level) / 2, df) * se;
  const ci: ConfidenceInterval = { level, lower: mean - half, upper: mean + half };
  let bound: ConfidenceInterval;
  if (alternative === 'two-sided') bound = ci;
  else {
    const oneSided = studentTQuantile(level, df) * se;
    bound =
      alternative === 'greater'
        ? { level, lower: mean - oneSided, upper: Infinity }
        : { level, lower: -Infinity, upper: mean + oneSided };
  }
  return {
    insufficient: false,
    n,
    mu,
    alternative,
    level,
    df,
    meanDifference: mean,
    sd,
    se,
    t,
    pValue,
    ci,
    bound,
    dz,
    zeroVariance,
  };
}

/**
 * Paired t-test of d = variant − baseline against `mu` (default 0), two-sided or one-sided.
 * 'greater' tests H1: mean(d) > mu. Throws {@link StatsInputError} on NaN/±Infinity or
 * different lengths.
 */
export function pairedTTest(
  variant: readonly number[],
  baseline: readonly number[],
  options: TTestOptions = {},
): PairedTTestResult {
  return oneSampleTTest(pairedDifferences(variant, baseline), options);
}
