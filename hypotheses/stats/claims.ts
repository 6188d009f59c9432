/**
 * Shared machinery of the claim tests (non-inferiority, superiority): labels, the scale of the
 * differences, and the wording of the hypotheses.
 */
import { assertFiniteArray, assertSameLength, StatsInputError } from './errors.js';
import type { PairedTTestResult } from './pairedTTest.js';
import type { Alternative, BetterDirection } from './types.js';

/** Scale on which the paired differences are taken: raw values, or natural logs (ratios). */
export type DifferenceScale = 'absolute' | 'log';

/** Names used to write the hypotheses, e.g. { metric: 'ppl', variant: 'bin', baseline: 'int4' }. */
export interface ClaimLabels {
  readonly metric?: string;
  readonly variant?: string;
  readonly baseline?: string;
}

/** Result of a one-sided claim test (non-inferiority or superiority) on paired data. */
export interface ClaimTestResult {
  readonly claim: 'non-inferiority' | 'superiority';
  readonly scale: DifferenceScale;
  readonly betterDirection: BetterDirection;
  /** Margin as given (absolute units, or a fraction such as 0.05 for a relative margin); 0 for superiority. */
  readonly margin: number;
  /** The shift mu tested against, on the scale of the differences (e.g. log 1.05). */
  readonly threshold: number;
  /** Alternative of the underlying t-test: 'greater' when higher is better, 'less' otherwise. */
  readonly alternative: Exclude<Alternative, 'two-sided'>;
  readonly alpha: number;
  /** Null hypothesis in words, e.g. "H0: mean(log ppl_bin − log ppl_int4) ≥ log 1.05". */
  readonly h0: string;
  /** Alternative hypothesis in words. */
  readonly h1: string;
  /** The one-sided paired t-test (level 1 − alpha: `ci` two-sided, `bound` one-sided). */
  readonly test: PairedTTestResult;
  /** p-value of the one-sided test; null when insufficient (n < 2). */
  readonly pValue: number | null;
  /** pValue ≤ alpha (before any multiple-comparison correction); null when insufficient. */
  readonly significant: boolean | null;
  /** The one-sided (1 − alpha) confidence bound of mean(d) matching the alternative; null when insufficient. */
  readonly confidenceBound: number | null;
  /** On the log scale, exp(confidenceBound): the bound on the geometric-mean ratio variant/baseline. */
  readonly ratioBound: number | null;
  readonly insufficient: boolean;
}

/** Formats a number for a hypothesis sentence: up to 6 significant digits, Unicode minus. */
export function formatForHypothesis(x: number): string {
  const s = Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
  return s.replace('-', '−');
}

/** The mean-difference expression of the hypotheses, e.g. "mean(log ppl_bin − log ppl_int4)". */
export function differenceExpression(scale: DifferenceScale, labels: ClaimLabels = {}): string {
  const metric = labels.metric ?? 'metric';
  const variant = labels.variant ?? 'variant';
  const baseline = labels.baseline ?? 'baseline';
  return scale === 'log'
    ? `mean(log ${metric}_${variant} − log ${metric}_${baseline})`
    : `mean(${metric}_${variant} − ${metric}_${baseline})`;
}

/** Differences on the requested scale; the log scale needs strictly positive values. */
export function differencesOnScale(
  variant: readonly number[],
  baseline: readonly number[],
  scale: DifferenceScale,
): number[] {
  assertFiniteArray('variant', variant);
  assertFiniteArray('baseline', baseline);
  assertSameLength('variant', variant, 'baseline', baseline);
  if (scale === 'absolute') return variant.map((v, i) => v - baseline[i]!);
  for (const [name, arr] of [
    ['variant', variant],
    ['baseline', baseline],
  ] as const) {
    for (let i = 0; i < arr.length; i++) {
      if (!(arr[i]! > 0)) {
        throw new StatsInputError(name, `a relative (log-scale) comparison needs positive values, got ${arr[i]}`, i);
      }
    }
  }
  return variant.map((v, i) => Math.log(v) - Math.log(baseline[i]!));
}

/** Common fields derived from a finished t-test. */
export function summarizeClaim(
  test: PairedTTestResult,
  alpha: number,
  scale: DifferenceScale,
): Pick<ClaimTestResult, 'pValue' | 'significant' | 'confidenceBound' | 'ratioBound' | 'insufficient'> {
  if (test.insufficient) {
    return { pValue: null, significant: null, confidenceBound: null, ratioBound: null, insufficient: true };
  }
  const confidenceBound = test.alternative === 'greater' ? test.bound.lower : test.bound.upper;
  return {
    pValue: test.pValue,
    significant: test.pValue <= alpha,
    confidenceBound,
    ratioBound: scale === 'log' ? Math.exp(confidenceBound) : null,
    insufficient: false,
  };
}
