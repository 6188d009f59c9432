/**
 * Non-inferiority test on paired data: "the variant is not worse than the baseline by more than a
 * margin", as a one-sided paired t-test against the margin (never a non-significant two-sided
 * test).
 *
 * Absolute margin δ (d = variant − baseline):
 *   higher is better: H0: mean(d) ≤ −δ vs H1: mean(d) > −δ  (t-test 'greater', mu = −δ)
 *   lower is better:  H0: mean(d) ≥ +δ vs H1: mean(d) < +δ  (t-test 'less',    mu = +δ)
 * Relative margin r (e.g. 0.05 = 5%), on the log scale (d = log variant − log baseline):
 *   lower is better:  H0: mean(d) ≥ log(1 + r)  vs H1: mean(d) < log(1 + r)
 *   higher is better: H0: mean(d) ≤ −log(1 + r) vs H1: mean(d) > −log(1 + r)
 * (so "within 5%" means a geometric-mean ratio below 1.05, or above 1/1.05, respectively).
 */
import { assertFiniteNumber, assertOneOf, assertOpenUnitInterval, StatsInputError } from './errors.js';
import { oneSampleTTest } from './pairedTTest.js';
import {
  differenceExpression,
  differencesOnScale,
  formatForHypothesis,
  summarizeClaim,
  type ClaimLabels,
  type ClaimTestResult,
} from './claims.js';
import type { BetterDirection } from './types.js';

export interface NonInferiorityInput {
  readonly variant: readonly number[];
  readonly baseline: readonly number[];
  /** Margin ≥ 0: in metric units ('absolute') or as a fraction ('relative', 0.05 = 5%). */
  readonly margin: number;
  readonly marginType: 'absolute' | 'relative';
  readonly betterDirection: BetterDirection;
  /** One-sided significance level, default 0.05. */
  readonly alpha?: number;
  readonly labels?: ClaimLabels;
}

/** One-sided paired non-inferiority t-test with an absolute or relative (log-scale) margin. */
export function nonInferiorityTest(input: NonInferiorityInput): ClaimTestResult {
  const { margin, marginType, betterDirection } = input;
  const alpha = input.alpha ?? 0.05;
  assertFiniteNumber('margin', margin);
  if (margin < 0) throw new StatsInputError('margin', `a non-inferiority margin must be ≥ 0, got ${margin}`);
  assertOneOf('marginType', marginType, ['absolute', 'relative'] as const);
  assertOneOf('betterDirection', betterDirection, ['higher', 'lower'] as const);
  assertOpenUnitInterval('alpha', alpha);
  const scale = marginType === 'relative' ? 'log' : 'absolute';
  const d = differencesOnScale(input.variant, input.baseline, scale);
  const magnitude = scale === 'log' ? Math.log1p(margin) : margin;
  const higher = betterDirection === 'higher';
  const threshold = higher ? -magnitude : magnitude;
  const alternative = higher ? 'greater' : 'less';
  const expr = differenceExpression(scale, input.labels);
  const thresholdText =
    scale === 'log'
      ? `${higher ? '−' : ''}log ${formatForHypothesis(1 + margin)}`
      : formatForHypothesis(threshold);
  const h0 = `H0: ${expr} ${higher ? '≤' : '≥'} ${thresholdText}`;
  const h1 = `H1: ${expr} ${higher ? '>' : '<'} ${thresholdText}`;
  const test = oneSampleTTest(d, { alternative, mu: threshold, level: 1 - alpha }, 'differences');
  return {
    claim: 'non-inferiority',
    scale,
    betterDirection,
    margin,
    threshold,
    alternative,
    alpha,
    h0,
    h1,
    test,
    ...summarizeClaim(test, alpha, scale),
  };
}
