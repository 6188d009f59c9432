/**
 * Superiority test on paired data: "the variant is better than the baseline", a one-sided paired
 * t-test whose direction follows the metric:
 *   higher is better: H0: mean(d) ≤ 0 vs H1: mean(d) > 0  (t-test 'greater')
 *   lower is better:  H0: mean(d) ≥ 0 vs H1: mean(d) < 0  (t-test 'less')
 * with d = variant − baseline, or d = log variant − log baseline on the log scale.
 */
import { assertOneOf, assertOpenUnitInterval } from './errors.js';
import { oneSampleTTest } from './pairedTTest.js';
import {
  differenceExpression,
  differencesOnScale,
  summarizeClaim,
  type ClaimLabels,
  type ClaimTestResult,
  type DifferenceScale,
} from './claims.js';
import type { BetterDirection } from './types.js';

export interface SuperiorityInput {
  readonly variant: readonly number[];
  readonly baseline: readonly number[];
  readonly betterDirection: BetterDirection;
  /** 'absolute' (default) or 'log' (ratios). */
  readonly scale?: DifferenceScale;
  /** One-sided significance level, default 0.05. */
  readonly alpha?: number;
  readonly labels?: ClaimLabels;
}

/** One-sided paired superiority t-test, direction from `betterDirection`. */
export function superiorityTest(input: SuperiorityInput): ClaimTestResult {
  const { betterDirection } = input;
  const scale = input.scale ?? 'absolute';
  const alpha = input.alpha ?? 0.05;
  assertOneOf('betterDirection', betterDirection, ['higher', 'lower'] as const);
  assertOneOf('scale', scale, ['absolute', 'log'] as const);
  assertOpenUnitInterval('alpha', alpha);
  const d = differencesOnScale(input.variant, input.baseline, scale);
  const higher = betterDirection === 'higher';
  const alternative = higher ? 'greater' : 'less';
  const expr = differenceExpression(scale, input.labels);
  const h0 = `H0: ${expr} ${higher ? '≤' : '≥'} 0`;
  const h1 = `H1: ${expr} ${higher ? '>' : '<'} 0`;
  const test = oneSampleTTest(d, { alternative, mu: 0, level: 1 - alpha }, 'differences');
  return {
    claim: 'superiority',
    scale,
    betterDirection,
    margin: 0,
    threshold: 0,
    alternative,
    alpha,
    h0,
    h1,
    test,
    ...summarizeClaim(test, alpha, scale),
  };
}
