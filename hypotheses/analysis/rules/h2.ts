/**
 * H2 verdict. Primary comparison `ppl-bin-vs-int4`: per context length L, non-inferiority on the
 * log scale, H0: mean(log ppl_bin − log ppl_int4) ≥ log(pplRatio), Holm over L.
 *   supported    — every targeted L passes after Holm (common.ts `everyPoint`);
 *   rejected     — at some L the opposite one-sided test (mean log ratio > log pplRatio, i.e. the
 *                  perplexity ratio significantly above the margin) rejects after Holm;
 *   inconclusive — otherwise (too few seeds, a missing L, a non-significant L).
 * The secondary accuracy comparison (margin in points) is reported in keyNumbers, not used.
 * Key numbers: margins used, per-L geometric-mean ratio and its one-sided 95% upper bound, the
 * worst (largest) ratio bound.
 * Replication unit: the seed; when bin-kv and int4 give identical per-window NLL in every seed (a
 * fixed model and text), the same test over windows (`ppl-bin-vs-int4@window`, d = nll_bin − nll_int4
 * per window, a log ratio, against log pplRatio) decides; keyNumbers.unit and the reason say so.
 */
import { comparisonOf, decisive, plural, outcomes, pointNumbers, type RuleContext, type RuleResult } from '../context.ts';
import { everyPoint } from './common.ts';

export function ruleH2(ctx: RuleContext): RuleResult {
  const s = ctx.settings as { pplRatio: number; accuracyMarginPoints: number };
  // Deterministic KV variants on a fixed text give identical seeds: then the per-window NLL decides.
  const d = decisive(ctx, 'ppl-bin-vs-int4');
  const ppl = d.ec;
  const acc = comparisonOf(ctx, 'accuracy-bin-vs-int4');
  const o = everyPoint(ctx, ppl, `perplexity of bin-kv vs int4 within ×${s.pplRatio}`);
  const bounds = o.points.map((p) => p.claim.details.ratioBound).filter((x): x is number => typeof x === 'number');
  const ratios = o.points.map((p) => p.claim.details.ratio).filter((x): x is number => typeof x === 'number');
  const accPoints = outcomes(acc);
  const keyNumbers: Record<string, unknown> = {
    unit: d.unit,
    marginsUsed: { pplRatio: s.pplRatio, logMargin: Math.log(s.pplRatio), accuracyMarginPoints: s.accuracyMarginPoints, accuracyMarginApplied: acc.effectiveMargin },
    perContext: o.numbers,
    worstRatio: ratios.length ? Math.max(...ratios) : null,
    worstRatioUpperBound: bounds.length ? Math.max(...bounds) : null,
    contextsWithoutPairs: o.unpairedPoints,
    secondaryAccuracy: {
      points: accPoints.map(pointNumbers),
      allNonInferior: accPoints.length > 0 && accPoints.every((p) => p.passed),
    },
  };
  if (d.why) o.detail = `${o.detail} (tested over ${plural(d.unit)}: ${d.why})`;
  switch (o.status) {
    case 'supported': return { verdict: 'supported', reason: `supported: ${o.detail}`, keyNumbers };
    case 'rejected': return { verdict: 'rejected', reason: `rejected: ${o.detail}`, keyNumbers };
    case 'too-few-seeds': return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): ${o.detail}`, keyNumbers };
    case 'no-data': return { verdict: 'inconclusive', reason: `inconclusive: ${o.detail}`, keyNumbers };
    case 'inconclusive': return { verdict: 'inconclusive', reason: `inconclusive: ${o.detail}`, keyNumbers };
  }
}
