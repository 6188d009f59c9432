/**
 * The tests of one comparison at one grid point, on per-seed data:
 * 1. the claim test (one-sided t against the shift the Claim implies; see claims.ts),
 * 2. the opposite one-sided t-test with the same shift (what rejects a hypothesis),
 * 3. the two-sided paired t-test against 0 (single pairings: against the threshold),
 * 4. the two-sided Wilcoxon signed-rank test of d − (same shift as 3),
 * plus descriptives of each side. Power (seeds for 80%) is added after the corrections, since
 * "fails" means "not rejected after Holm".
 */
import type { Comparison } from '../definition.ts';
import {
  describeSample, differencesOnScale, oneSampleTTest, wilcoxonSignedRank, type PairedTTestResult,
} from '../stats/index.ts';
import { seedsForPower, seedsForWilcoxonPower } from './power.ts';
import type { ClaimPlan } from './claims.ts';
import type { PointData } from './pairing.ts';
import type { Alternative, GroupDescriptives, TestDetails, TestName, TestRecord } from './types.ts';

const fin = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

export interface PointTestOptions {
  comparison: Comparison;
  plan: ClaimPlan;
  alpha: number;
  minSeeds: number;
  variantLabel: string;
  baselineLabel: string;
  metric: string;
  baselineMetric: string | null;
}

function tRecord(
  o: PointTestOptions, point: PointData, d: number[], name: TestName, t: PairedTTestResult, alternative: Alternative, extra: TestDetails,
): TestRecord {
  const base: TestDetails = {
    role: o.comparison.role, claim: o.comparison.claim, direction: o.comparison.direction, pairing: o.comparison.pairing,
    scale: o.plan.scale, mu: t.mu, seeds: point.seeds, differences: d, aggregatedOver: point.aggregatedOver,
    variant: o.variantLabel, baseline: o.baselineLabel,
    ...(point.seeds.length < o.minSeeds ? { tooFewSeeds: true } : {}),
    ...extra,
  };
  if (t.insufficient) {
    return {
      comparison: o.comparison.id, family: o.comparison.family, metric: o.metric, grid: point.grid, test: name, alternative,
      margin: o.plan.margin, n: t.n, meanDiff: fin(t.meanDifference), sdDiff: null, ciLow: null, ciHigh: null, statistic: null,
      df: null, pValue: null, pHolm: null, pBh: null, reject: null, details: { ...base, insufficient: t.reason },
    };
  }
  const oneSided = alternative !== 'two-sided';
  const low = oneSided ? t.bound.lower : t.ci.lower;
  const high = oneSided ? t.bound.upper : t.ci.upper;
  const details: TestDetails = {
    ...base, dz: fin(t.dz), ci95: [t.ci.lower, t.ci.upper], zeroVariance: t.zeroVariance || undefined,
    ...(Number.isFinite(t.t) ? {} : { statisticText: t.t > 0 ? '+Infinity (zero variance)' : '−Infinity (zero variance)' }),
  };
  if (oneSided) details.confidenceBound = alternative === 'greater' ? t.bound.lower : t.bound.upper;
  if (o.plan.scale === 'log') {
    details.ratio = Math.exp(t.meanDifference);
    if (oneSided) details.ratioBound = Math.exp(details.confidenceBound as number);
  }
  return {
    comparison: o.comparison.id, family: o.comparison.family, metric: o.metric, grid: point.grid, test: name, alternative,
    margin: o.plan.margin, n: t.n, meanDiff: t.meanDifference, sdDiff: t.sd, ciLow: fin(low), ciHigh: fin(high),
    statistic: fin(t.t), df: t.df, pValue: t.pValue, pHolm: null, pBh: null, reject: null, details,
  };
}

function group(o: PointTestOptions, point: PointData, variant: string, metric: string, values: number[], alpha: number): GroupDescriptives {
  const d = describeSample(values, 1 - alpha, `${o.comparison.id} ${variant} ${metric}`);
  const g: GroupDescriptives = {
    comparison: o.comparison.id, variant, metric, grid: point.grid, n: d.n, mean: d.mean, sd: d.sd,
    ciLow: d.ci ? d.ci.lower : null, ciHigh: d.ci ? d.ci.upper : null, min: d.min, max: d.max, seeds: point.seeds,
  };
  if (o.plan.scale === 'log' && values.every((x) => x > 0)) {
    g.geoMean = Math.exp(values.reduce((s, x) => s + Math.log(x), 0) / values.length);
  }
  return g;
}

export function testPoint(o: PointTestOptions, point: PointData): { records: TestRecord[]; groups: GroupDescriptives[] } {
  const { plan, alpha } = o;
  const d = point.b === null ? point.v.slice() : differencesOnScale(point.v, point.b, plan.scale);
  const level = 1 - alpha;
  const claimT = oneSampleTTest(d, { alternative: plan.alternative, mu: plan.mu, level });
  const oppT = oneSampleTTest(d, { alternative: plan.opposite, mu: plan.mu, level });
  const twoT = oneSampleTTest(d, { alternative: 'two-sided', mu: plan.companionMu, level });
  const records: TestRecord[] = [
    tRecord(o, point, d, plan.test, claimT, plan.alternative, { h0: plan.h0, h1: plan.h1 }),
    tRecord(o, point, d, 'opposite-one-sided', oppT, plan.opposite, { h1: plan.oppositeH1, oppositeOf: plan.test }),
    tRecord(o, point, d, 'paired-t-two-sided', twoT, 'two-sided', { h1: `two-sided: mean(d) ≠ ${plan.companionMu}`, companionOf: plan.test }),
  ];
  // Wilcoxon signed-rank, two-sided, of d − companionMu (scipy's 'auto' method: exact when untied and n ≤ 50).
  const shifted = d.map((x) => x - plan.companionMu);
  const tooFew = point.seeds.length < o.minSeeds;
  if (shifted.length >= 1) {
    // scipy.stats.wilcoxon's defaults: zero_method 'wilcox', method 'auto', no continuity correction
    // (the normal approximation matters for unit-level tests: hundreds of tied per-query values).
    const w = wilcoxonSignedRank(shifted, null, { alternative: 'two-sided', correction: false });
    records.push({
      comparison: o.comparison.id, family: o.comparison.family, metric: o.metric, grid: point.grid, test: 'wilcoxon-signed-rank',
      alternative: 'two-sided', margin: plan.margin, n: w.n, meanDiff: twoT.meanDifference, sdDiff: twoT.sd,
      ciLow: null, ciHigh: null, statistic: w.statistic, df: null, pValue: w.pValue, pHolm: null, pBh: null, reject: null,
      details: {
        role: o.comparison.role, scale: plan.scale, mu: plan.companionMu, seeds: point.seeds, differences: d, companionOf: plan.test,
        variant: o.variantLabel, baseline: o.baselineLabel, aggregatedOver: point.aggregatedOver,
        wilcoxonMethod: w.method, minimumAchievablePValue: w.minimumAchievablePValue, rPlus: w.rPlus, rMinus: w.rMinus,
        z: w.z, nZero: w.nZero, hasTies: w.hasTies, ...(tooFew ? { tooFewSeeds: true } : {}),
        ...(w.minimumAchievablePValue !== null && w.minimumAchievablePValue > alpha
          ? { powerNote: `with n = ${w.n} the exact two-sided Wilcoxon p can never go below ${Number(w.minimumAchievablePValue.toPrecision(3))}, so it cannot reject at α = ${alpha}` }
          : {}),
      },
    });
  }
  const groups: GroupDescriptives[] = [group(o, point, o.variantLabel, o.metric, point.v, alpha)];
  if (point.b !== null) groups.push(group(o, point, o.baselineLabel, o.baselineMetric ?? o.metric, point.b, alpha));
  return { records, groups };
}

/**
 * For tests that did not reject (after Holm, or undecided for too few seeds): the number of seeds
 * that would give 80% power to the same t-test at level α (unadjusted) if the true mean difference
 * and sd were the observed ones; Wilcoxon records the figure of the exact Wilcoxon test itself.
 */
export function addPower(records: readonly TestRecord[], alpha: number): void {
  // The two-sided t-test and the Wilcoxon record of a point ask the same question: compute once.
  const cache = new Map<string, ReturnType<typeof seedsForPower>>();
  for (const r of records) {
    if (r.reject === true || r.n < 2 || r.meanDiff === null || r.sdDiff === null) continue;
    if (r.test === 'opposite-one-sided' || r.test === 'deterministic-check' || r.test === 'friedman' || r.test === 'relative-degradation') continue;
    const mu = typeof r.details.mu === 'number' ? r.details.mu : 0;
    const effect = r.meanDiff - mu;
    const wilcoxon = r.test === 'wilcoxon-signed-rank';
    const key = `${effect}|${r.sdDiff}|${r.alternative}|${wilcoxon}`;
    let res = cache.get(key);
    if (!res) {
      res = wilcoxon ? seedsForWilcoxonPower(effect, r.sdDiff, alpha, 0.8) : seedsForPower(effect, r.sdDiff, alpha, r.alternative, 0.8);
      cache.set(key, res);
    }
    r.details.seedsFor80Power = res.n;
    const notes: string[] = [];
    if (typeof r.details.powerNote === 'string') notes.push(r.details.powerNote);
    if (wilcoxon) notes.push('seeds for 80% power of the exact Wilcoxon test, simulated with normal differences at the observed effect and sd');
    if (res.note) notes.push(res.note);
    if (notes.length) r.details.powerNote = notes.join('; ');
  }
}
