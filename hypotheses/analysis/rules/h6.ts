/**
 * H6: task sensitivity is empirical. No runs of its own: it re-reads H1–H4 rows of the same sweep.
 *
 * Relative degradation of the binary variant vs its baseline, per seed (positive = worse):
 * - retrieval (H1): 1 − nDCG@10_binary / nDCG@10_float, within-run pairs of H1's primary
 *   binarizer at code length m = settings.retrievalBits, default H1's m*, else the largest m
 *   measured (the m used is in keyNumbers.families.retrieval.at). Float is the baseline here (H1
 *   has no 4-bit variant).
 * - language-modelling (H2): ppl_bin-kv / ppl_int4 − 1, averaged over the context lengths
 *   (settings.lmContexts, default all measured) and other coordinates of the seed.
 * - classification and reasoning (H3): 1 − acc_bin-blocks / acc_int4, averaged over the tasks whose
 *   `family` tag (binllm-nlu tags every metric with it) is that family; for a family with no H3
 *   pairs, H4's 1 − acc_bin-blocks / acc_fp16 (an fp16 baseline, flagged in keyNumbers). Rows
 *   without a `family` tag count as classification.
 * Within a seed, several observations (tasks, contexts, GPUs) are averaged arithmetically.
 *
 * Families are ranked by mean relative degradation (largest first) with two-sided 95% t CIs.
 * Test of "sensitivity differs between families", seeds as blocks, on the seeds common to all
 * measured families: Friedman χ² with ≥ 3 families; with exactly 2 families (Friedman needs ≥ 3
 * treatments) the two-sided Wilcoxon signed-rank test of the per-seed differences.
 * Verdict strings are stored literally:
 *   differs                  — the test's p ≤ α;
 *   no detectable difference — p > α (absence of evidence, not evidence of equal sensitivity);
 *   inconclusive             — fewer than two families measured, fewer than minSeeds common seeds,
 *                              or a test that cannot reach p ≤ α with these seeds (exact Wilcoxon, n < 6).
 */
import { describeSample, friedmanTest, wilcoxonSignedRank } from '../../stats/index.ts';
import { hypothesisSettings } from '../../sweep-spec.ts';
import type { Pairing } from '../../definition.ts';
import { fnum, fp, type RuleContext, type RuleResult } from '../context.ts';
import { pairComparison, type Pair } from '../pairing.ts';
import type { TestRecord } from '../types.ts';

interface Family {
  family: string;
  source: string;
  definition: string;
  at?: Record<string, unknown>;
  perSeed: Map<number, number>;
  note?: string;
}

function perSeedMean(pairs: Pair[], f: (p: Pair) => number): Map<number, number> {
  const acc = new Map<number, { s: number; n: number }>();
  for (const p of pairs) {
    const x = f(p);
    const e = acc.get(p.seed) ?? { s: 0, n: 0 };
    e.s += x;
    e.n += 1;
    acc.set(p.seed, e);
  }
  return new Map([...acc].map(([seed, e]) => [seed, e.s / e.n]));
}

export function ruleH6(ctx: RuleContext): RuleResult {
  const s = ctx.settings as { retrievalBits?: number; lmContexts?: number[] };
  const inSweep = new Set(ctx.spec.hypotheses);
  const families: Family[] = [];
  const pairsOf = (h: 'H1' | 'H2' | 'H3' | 'H4', id: string, pairing: Pairing, keys: string[]) => {
    const res = pairComparison(ctx.indexes.get(h)!, `H6-${id}`, pairing, keys);
    return res.pairs.filter((p) => {
      const ok = (p.baselineValue as number) > 0;
      if (!ok) ctx.warn(`H6 ${id}: seed ${p.seed} skipped, the baseline value ${p.baselineValue} is not positive so a relative degradation is undefined`);
      return ok;
    });
  };

  if (inSweep.has('H1')) {
    const b = String(hypothesisSettings(ctx.spec, 'H1').primaryBinarizer);
    const pairs = pairsOf('H1', 'retrieval', { kind: 'within-run', variant: b, variantMetric: 'ndcg_at_10_binary', baselineMetric: 'ndcg_at_10_float' }, ['bits']);
    if (pairs.length) {
      const mStar = ctx.previous.get('H1')?.keyNumbers.mStar;
      const bitsSeen = pairs.map((p) => p.grid.bits).filter((x): x is number => typeof x === 'number');
      const m = s.retrievalBits ?? (typeof mStar === 'number' ? mStar : bitsSeen.length ? Math.max(...bitsSeen) : null);
      const why = s.retrievalBits !== undefined ? 'settings.retrievalBits' : typeof mStar === 'number' ? "H1's m*" : 'largest m measured';
      const chosen = m === null ? pairs : pairs.filter((p) => p.grid.bits === m);
      if (chosen.length) {
        families.push({
          family: 'retrieval', source: `H1 (${b})`, definition: '1 − nDCG@10_binary / nDCG@10_float per seed', at: { bits: m, chosenBy: why },
          perSeed: perSeedMean(chosen, (p) => 1 - p.variantValue / (p.baselineValue as number)),
        });
      } else ctx.warn(`H6 retrieval: no H1 nDCG pairs at m = ${m} (${why})`);
    }
  }
  if (inSweep.has('H2')) {
    let pairs = pairsOf('H2', 'language-modelling', { kind: 'across-variants', metric: 'ppl', variant: 'bin-kv', baseline: 'int4' }, ['ctx']);
    if (s.lmContexts) pairs = pairs.filter((p) => s.lmContexts!.includes(Number(p.grid.ctx)));
    if (pairs.length) {
      families.push({
        family: 'language-modelling', source: 'H2 (bin-kv vs int4)', definition: 'ppl_bin-kv / ppl_int4 − 1 per seed, averaged over context lengths',
        at: { ctx: s.lmContexts ?? [...new Set(pairs.map((p) => p.grid.ctx))].sort((a, b) => Number(a) - Number(b)) },
        perSeed: perSeedMean(pairs, (p) => p.variantValue / (p.baselineValue as number) - 1),
      });
    }
  }
  // binllm-nlu tags each task's metrics with its family: classification tasks and reasoning tasks
  for (const fam of ['classification', 'reasoning'] as const) {
    const ofFamily = (pairs: Pair[]) => pairs.filter((p) => (p.coords['tags.family'] ?? p.grid.family ?? 'classification') === fam);
    let done = false;
    if (inSweep.has('H3')) {
      const pairs = ofFamily(pairsOf('H3', fam, { kind: 'across-variants', metric: 'accuracy', variant: 'bin-blocks', baseline: 'int4' }, ['task']));
      if (pairs.length) {
        done = true;
        families.push({
          family: fam, source: 'H3 (bin-blocks vs int4)', definition: `1 − acc_bin-blocks / acc_int4 per seed, averaged over ${fam} tasks`,
          at: { tasks: [...new Set(pairs.map((p) => String(p.grid.task)))].sort() },
          perSeed: perSeedMean(pairs, (p) => 1 - p.variantValue / (p.baselineValue as number)),
        });
      }
    }
    if (!done && inSweep.has('H4')) {
      const pairs = ofFamily(pairsOf('H4', fam, { kind: 'across-variants', metric: 'accuracy', variant: 'bin-blocks', baseline: 'fp16' }, ['task']));
      if (pairs.length) {
        families.push({
          family: fam, source: 'H4 (bin-blocks vs fp16)', definition: `1 − acc_bin-blocks / acc_fp16 per seed, averaged over ${fam} tasks`,
          at: { tasks: [...new Set(pairs.map((p) => String(p.grid.task)))].sort() },
          note: 'H3 has no pairs, so the baseline is fp16 (H4), not int4', perSeed: perSeedMean(pairs, (p) => 1 - p.variantValue / (p.baselineValue as number)),
        });
      }
    }
  }

  const records: TestRecord[] = [];
  const ranking = families.map((f) => {
    const seeds = [...f.perSeed.keys()].sort((a, b) => a - b);
    const values = seeds.map((x) => f.perSeed.get(x)!);
    const d = describeSample(values, 1 - ctx.alpha, `H6 ${f.family}`);
    records.push({
      comparison: `relative-degradation-${f.family}`, family: 'H6-families', metric: 'relative_degradation', grid: { family: f.family },
      test: 'relative-degradation', alternative: 'two-sided', margin: null, n: d.n, meanDiff: d.mean, sdDiff: d.sd,
      ciLow: d.ci ? d.ci.lower : null, ciHigh: d.ci ? d.ci.upper : null, statistic: null, df: d.n > 1 ? d.n - 1 : null, pValue: null,
      pHolm: null, pBh: null, reject: null,
      details: { source: f.source, definition: f.definition, at: f.at, note: f.note, seeds, values, ci95: d.ci ? [d.ci.lower, d.ci.upper] : null, role: 'primary' },
    });
    return { family: f.family, source: f.source, definition: f.definition, at: f.at, note: f.note, n: d.n, mean: d.mean, sd: d.sd, ciLow: d.ci?.lower ?? null, ciHigh: d.ci?.upper ?? null };
  }).sort((a, b) => (b.mean ?? -Infinity) - (a.mean ?? -Infinity));
  ranking.forEach((r, i) => Object.assign(r, { rank: i + 1 }));

  const measured = families.map((f) => f.family);
  const notMeasured = ['retrieval', 'classification', 'language-modelling', 'reasoning'].filter((f) => !measured.includes(f));
  const keyNumbers: Record<string, unknown> = { familyRanking: ranking, notMeasured, alpha: ctx.alpha };
  ctx.addTests(records);
  const rankText = ranking.map((r) => `${r.family} ${fnum(r.mean)} [${fnum(r.ciLow)}, ${fnum(r.ciHigh)}]`).join(' > ');

  if (families.length < 2) {
    return { verdict: 'inconclusive', reason: `inconclusive (fewer than two families measured: ${measured.join(', ') || 'none'}; not measured: ${notMeasured.join(', ')})`, keyNumbers };
  }
  const common = [...families[0].perSeed.keys()].filter((seed) => families.every((f) => f.perSeed.has(seed))).sort((a, b) => a - b);
  keyNumbers.blocks = common;
  if (common.length < ctx.minSeeds) {
    return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): ${common.length} seed(s) common to ${measured.join(', ')}, the protocol needs ≥ ${ctx.minSeeds}`, keyNumbers };
  }
  const matrix = common.map((seed) => families.map((f) => f.perSeed.get(seed)!));
  let p: number;
  let record: TestRecord;
  if (families.length >= 3) {
    const fr = friedmanTest(matrix);
    if (fr.insufficient) return { verdict: 'inconclusive', reason: `inconclusive: ${fr.reason}`, keyNumbers };
    p = fr.pValue;
    record = {
      comparison: 'families', family: 'H6-families', metric: 'relative_degradation', grid: {}, test: 'friedman', alternative: 'two-sided',
      margin: null, n: common.length, meanDiff: null, sdDiff: null, ciLow: null, ciHigh: null, statistic: fr.statistic, df: fr.df, pValue: p,
      pHolm: null, pBh: null, reject: p <= ctx.alpha,
      details: { families: measured, meanRanks: fr.meanRanks, kendallW: fr.kendallW, tieCorrection: fr.tieCorrection, seeds: common, role: 'primary' },
    };
  } else {
    const diffs = matrix.map((row) => row[0] - row[1]);
    const w = wilcoxonSignedRank(diffs, null, { alternative: 'two-sided' });
    p = w.pValue;
    record = {
      comparison: 'families', family: 'H6-families', metric: 'relative_degradation', grid: {}, test: 'wilcoxon-signed-rank', alternative: 'two-sided',
      margin: null, n: common.length, meanDiff: diffs.reduce((a, b) => a + b, 0) / diffs.length, sdDiff: null, ciLow: null, ciHigh: null,
      statistic: w.statistic, df: null, pValue: p, pHolm: null, pBh: null, reject: p <= ctx.alpha,
      details: {
        families: measured, seeds: common, differences: diffs, wilcoxonMethod: w.method, minimumAchievablePValue: w.minimumAchievablePValue,
        note: `Friedman needs ≥ 3 treatments; with two families the paired Wilcoxon signed-rank test (${measured[0]} − ${measured[1]}) is used`, role: 'primary',
      },
    };
  }
  ctx.addTests([record]);
  keyNumbers.test = { name: record.test, statistic: record.statistic, df: record.df, pValue: p, seeds: common.length };
  const floor = record.details.minimumAchievablePValue;
  const floorText = typeof floor === 'number' && floor > ctx.alpha ? `; with ${common.length} seeds this test cannot reach p ≤ ${ctx.alpha} (smallest possible p = ${fp(floor)})` : '';
  const name = record.test === 'friedman' ? `Friedman χ² = ${fnum(record.statistic)}, df = ${record.df},` : 'Wilcoxon signed-rank (two families)';
  if (p <= ctx.alpha) {
    return { verdict: 'differs', reason: `differs: ${name} p = ${fp(p)} ≤ α = ${ctx.alpha} over ${common.length} seeds; ranking ${rankText}`, keyNumbers };
  }
  if (typeof floor === 'number' && floor > ctx.alpha) {
    // A test that cannot reach α with these seeds says nothing either way: not "no difference".
    let needed = common.length;
    while (2 / 2 ** needed > ctx.alpha) needed++;
    return {
      verdict: 'inconclusive',
      reason: `inconclusive (too few seeds for the test): ${name} p = ${fp(p)}${floorText}; the exact two-sided test needs ≥ ${needed} seeds; ranking ${rankText}`,
      keyNumbers: { ...keyNumbers, seedsNeeded: needed },
    };
  }
  return {
    verdict: 'no detectable difference',
    reason: `no detectable difference: ${name} p = ${fp(p)} > α = ${ctx.alpha} over ${common.length} seeds${floorText}; ranking ${rankText}`,
    keyNumbers,
  };
}
