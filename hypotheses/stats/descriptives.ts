/**
 * Descriptive statistics of a group of values and of paired differences: n, mean, sample standard
 * deviation (n − 1), standard error, t-based confidence interval, min, max; Cohen's d_z.
 */
import { mean as ssMean, sampleStandardDeviation } from 'simple-statistics';
import {
  assertFiniteArray,
  assertOpenUnitInterval,
  assertSameLength,
} from './errors.js';
import { studentTQuantile } from './distributions.js';
import type { ConfidenceInterval } from './types.js';

/** Summary of one group of values. Fields that need more observations than there are are `null`. */
export interface Descriptives {
  /** Number of observations. */
  readonly n: number;
  /** Arithmetic mean (null when n = 0). */
  readonly mean: number | null;
  /** Sample standard deviation with n − 1 in the denominator (null when n < 2). */
  readonly sd: number | null;
  /** Standard error of the mean, sd / √n (null when n < 2). */
  readonly se: number | null;
  /** Two-sided t-based confidence interval of the mean at `level` (null when n < 2). */
  readonly ci: ConfidenceInterval | null;
  /** Smallest value (null when n = 0). */
  readonly min: number | null;
  /** Largest value (null when n = 0). */
  readonly max: number | null;
  /** True when n < 2: no standard deviation, interval or test is defined. */
  readonly insufficient: boolean;
}

/** Paired differences variant − baseline with their summary and Cohen's d_z. */
export interface PairedDescriptives {
  /** The differences variant[i] − baseline[i], in input order. */
  readonly differences: number[];
  readonly variant: Descriptives;
  readonly baseline: Descriptives;
  readonly difference: Descriptives;
  /** Cohen's d_z = mean(d) / sd(d); null when n < 2; see {@link cohensDz} for zero variance. */
  readonly dz: number | null;
}

/** True when all values are identical (exactly zero variance, whatever the rounding of the mean). */
export function allEqual(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** Half-width multiplier t_{1−(1−level)/2, df} of a two-sided t interval. */
export function tCriticalTwoSided(level: number, df: number): number {
  return studentTQuantile(1 - (1 - level) / 2, df);
}

/**
 * Describes one group: n, mean, sd (n − 1), se, two-sided t-based CI at `level` (default 0.95),
 * min and max. Throws {@link StatsInputError} on NaN/±Infinity, naming `name` and the index.
 */
export function describeSample(values: readonly number[], level = 0.95, name = 'values'): Descriptives {
  assertFiniteArray(name, values);
  assertOpenUnitInterval('level', level);
  const n = values.length;
  if (n === 0) {
    return { n, mean: null, sd: null, se: null, ci: null, min: null, max: null, insufficient: true };
  }
  let min = values[0]!;
  let max = values[0]!;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 1) {
    return { n, mean: values[0]!, sd: null, se: null, ci: null, min, max, insufficient: true };
  }
  const constant = allEqual(values);
  const mean = constant ? values[0]! : ssMean(values as number[]);
  const sd = constant ? 0 : sampleStandardDeviation(values as number[]);
  const se = sd / Math.sqrt(n);
  const half = tCriticalTwoSided(level, n - 1) * se;
  return {
    n,
    mean,
    sd,
    se,
    ci: { level, lower: mean - half, upper: mean + half },
    min,
    max,
    insufficient: false,
  };
}

/** The differences variant[i] − baseline[i], after validating both arrays. */
export function pairedDifferences(variant: readonly number[], baseline: readonly number[]): number[] {
  assertFiniteArray('variant', variant);
  assertFiniteArray('baseline', baseline);
  assertSameLength('variant', variant, 'baseline', baseline);
  return variant.map((v, i) => v - baseline[i]!);
}

/**
 * Cohen's d_z for paired data: mean(d) / sd(d) with sd using n − 1. Null when n < 2.
 * Zero variance: +Infinity or −Infinity by the sign of the common difference, 0 when all
 * differences are 0.
 */
export function cohensDz(differences: readonly number[]): number | null {
  assertFiniteArray('differences', differences);
  if (differences.length < 2) return null;
  if (allEqual(differences)) {
    const c = differences[0]!;
    return c === 0 ? 0 : c > 0 ? Infinity : -Infinity;
  }
  return ssMean(differences as number[]) / sampleStandardDeviation(differences as number[]);
}

/** Describes variant, baseline and their paired differences (variant − baseline), with d_z. */
export function describePairs(
  variant: readonly number[],
  baseline: readonly number[],
  level = 0.95,
): PairedDescriptives {
  const differences = pairedDifferences(variant, baseline);
  return {
    differences,
    variant: describeSample(variant, level, 'variant'),
    baseline: describeSample(baseline, level, 'baseline'),
    difference: describeSample(differences, level, 'differences'),
    dz: cohensDz(differences),
  };
}

/** Alias of {@link describeSample} (the short name clashes with `node:test`'s `describe` in tests). */
export const describe = describeSample;
/** Alias of {@link describePairs}. */
export const describePaired = describePairs;
