/**
 * H3 verdict. Primary comparison `accuracy-bin-vs-int4`: per task, non-inferiority of bin-blocks
 * vs int4 with a margin of `accuracyMarginPoints` points (0–100 scale; applied as /100 when the
 * stored accuracies are fractions), Holm over tasks; and the deterministic check that bin-blocks
 * has strictly lower `bits_per_param` and strictly lower `peak_mem_bytes` than int4 in every
 * matched (seed, gpu, params) pair.
 *   rejected     — the deterministic check fails for some pair, or some task's opposite one-sided
 *                  test (worse by more than the margin) rejects after Holm;
 *   supported    — every task passes after Holm and both deterministic checks pass;
 *   inconclusive — otherwise, including when bits_per_param or peak_mem_bytes was not reported
 *                  (the check cannot be made), or too few seeds.
 */
import { comparisonOf, type RuleContext, type RuleResult } from '../context.ts';
import { pairComparison } from '../pairing.ts';
import type { TestRecord } from '../types.ts';
import { everyPoint } from './common.ts';

export interface DeterministicCheck {
  metric: string;
  status: 'passed' | 'failed' | 'missing';
  pairs: number;
  violations: Array<{ seed: number; gpu: string; variant: number; baseline: number }>;
  detail: string;
}

/** `variant` strictly lower than `baseline` on `metric` in every matched pair. */
export function strictlyLowerCheck(ctx: RuleContext, metric: string, variant: string, baseline: string, comparison: string): DeterministicCheck {
  const res = pairComparison(ctx.index, comparison, { kind: 'across-variants', metric, variant, baseline }, []);
  ctx.addUnmatched(res.unmatched);
  const violations = res.pairs
    .filter((p) => !(p.variantValue < (p.baselineValue as number)))
    .map((p) => ({ seed: p.seed, gpu: p.gpu, variant: p.variantValue, baseline: p.baselineValue as number }));
  const status = res.pairs.length === 0 ? 'missing' : violations.length ? 'failed' : 'passed';
  const detail = status === 'missing'
    ? `${metric} of ${variant} vs ${baseline} was not reported (no matched pair), so the deterministic check cannot be made`
    : status === 'failed'
      ? `${metric} of ${variant} is not strictly lower than ${baseline} in ${violations.length} of ${res.pairs.length} pairs (e.g. seed ${violations[0].seed} on ${violations[0].gpu}: ${violations[0].variant} vs ${violations[0].baseline})`
      : `${metric} of ${variant} strictly lower than ${baseline} in all ${res.pairs.length} pairs`;
  const diffs = res.pairs.map((p) => p.variantValue - (p.baselineValue as number));
  const record: TestRecord = {
    comparison, family: `${ctx.hypothesis}-deterministic`, metric, grid: {}, test: 'deterministic-check', alternative: 'less', margin: null,
    n: res.pairs.length, meanDiff: diffs.length ? diffs.reduce((a, b) => a + b, 0) / diffs.length : null, sdDiff: null,
    ciLow: null, ciHigh: null, statistic: null, df: null, pValue: null, pHolm: null, pBh: null,
    reject: status === 'missing' ? null : status === 'failed',
    details: { check: `${metric}[${variant}] < ${metric}[${baseline}] in every pair`, status, violations, variant, baseline, role: 'primary' },
  };
  ctx.addTests([record]);
  return { metric, status, pairs: res.pairs.length, violations, detail };
}

export function ruleH3(ctx: RuleContext): RuleResult {
  const s = ctx.settings as { accuracyMarginPoints: number };
  const acc = comparisonOf(ctx, 'accuracy-bin-vs-int4');
  const o = everyPoint(ctx, acc, `accuracy of bin-blocks non-inferior to int4 (margin ${s.accuracyMarginPoints} points)`);
  const checks = ['bits_per_param', 'peak_mem_bytes'].map((m) => strictlyLowerCheck(ctx, m, 'bin-blocks', 'int4', `deterministic-${m}`));
  const keyNumbers: Record<string, unknown> = {
    marginsUsed: { accuracyMarginPoints: s.accuracyMarginPoints, applied: acc.effectiveMargin },
    perTask: o.numbers,
    tasksWithoutPairs: o.unpairedPoints,
    deterministic: Object.fromEntries(checks.map((c) => [c.metric, { status: c.status, pairs: c.pairs, violations: c.violations.length }])),
  };
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length) return { verdict: 'rejected', reason: `rejected: deterministic check failed: ${failed.map((c) => c.detail).join('; ')}`, keyNumbers };
  if (o.status === 'rejected') return { verdict: 'rejected', reason: `rejected: ${o.detail}`, keyNumbers };
  if (o.status === 'too-few-seeds') return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): ${o.detail}`, keyNumbers };
  const missing = checks.filter((c) => c.status === 'missing');
  if (o.status === 'supported' && !missing.length) {
    return { verdict: 'supported', reason: `supported: ${o.detail}; ${checks.map((c) => c.detail).join('; ')}`, keyNumbers };
  }
  const parts = [o.status === 'supported' ? null : o.detail, ...missing.map((c) => c.detail)].filter(Boolean);
  return { verdict: 'inconclusive', reason: `inconclusive: ${parts.join('; ')}`, keyNumbers };
}
