/**
 * Benchmark of the statistics library: 100,000 synthetic metric rows analysed as the verdict
 * engine would — 10,000 comparisons (variant vs baseline) of 10 seeds each, each with a two-sided
 * paired t-test, a relative non-inferiority test and a Wilcoxon signed-rank test; Holm within
 * families of 10 comparisons and BH over all 10,000; then the 80%-power sample size for every
 * comparison that failed non-inferiority.
 *
 * Run: node --import tsx bench/stats.bench.ts
 */
import {
  benjaminiHochberg,
  holmBonferroni,
  nonInferiorityTest,
  pairedTTest,
  pairedTTestSampleSize,
  wilcoxonSignedRank,
} from '../hypotheses/stats/index.js';
import { seededRandom } from '../test/stats/helpers.ts';


const COMPARISONS = 10_000;
const SEEDS = 10;
const FAMILY = 10;

const u = seededRandom(42);
const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

const data: { variant: number[]; baseline: number[] }[] = [];
for (let c = 0; c < COMPARISONS; c++) {
  const shift = 0.04 * normal();
  const baseline = Array.from({ length: SEEDS }, () => 12 * Math.exp(0.05 * normal()));
  const variant = baseline.map((b) => b * Math.exp(shift + 0.02 * normal()));
  data.push({ variant, baseline });
}

const t0 = performance.now();
const twoSided: number[] = [];
const ni: number[] = [];
const failed: { effect: number; sd: number }[] = [];
let wilcoxonSum = 0;
for (const { variant, baseline } of data) {
  const t = pairedTTest(variant, baseline);
  twoSided.push(t.pValue ?? 1);
  const r = nonInferiorityTest({ variant, baseline, margin: 0.05, marginType: 'relative', betterDirection: 'lower' });
  ni.push(r.pValue ?? 1);
  if (!r.significant && !r.test.insufficient) {
    // observed effect relative to the margin (negative = on the non-inferior side)
    failed.push({ effect: r.test.meanDifference - r.threshold, sd: r.test.sd });
  }
  wilcoxonSum += wilcoxonSignedRank(variant, baseline).pValue;
}
const t1 = performance.now();
let holmRejects = 0;
for (let f = 0; f < COMPARISONS; f += FAMILY) {
  holmRejects += holmBonferroni(ni.slice(f, f + FAMILY)).reject.filter(Boolean).length;
}
const bh = benjaminiHochberg(twoSided);
const t2 = performance.now();
const ns: number[] = [];
for (const { effect, sd } of failed) {
  const s = pairedTTestSampleSize({ effect, sd, alternative: 'less' });
  if (s.feasible) ns.push(s.n!);
}
const t3 = performance.now();

const rows = COMPARISONS * SEEDS;
console.log(`rows: ${rows} (${COMPARISONS} comparisons × ${SEEDS} seeds)`);
console.log(
  `paired t + non-inferiority + Wilcoxon: ${(t1 - t0).toFixed(0)} ms (${((t1 - t0) * 1000 / COMPARISONS).toFixed(1)} µs per comparison)`,
);
console.log(`Holm (${COMPARISONS / FAMILY} families) + BH (m = ${COMPARISONS}): ${(t2 - t1).toFixed(1)} ms`);
console.log(
  `sample size for ${failed.length} failed non-inferiority tests: ${(t3 - t2).toFixed(0)} ms (${failed.length ? (((t3 - t2) * 1000) / failed.length).toFixed(0) : 0} µs each)`,
);
console.log(`total: ${(t3 - t0).toFixed(0)} ms`);
console.log(
  `checks: Holm rejects ${holmRejects}, BH rejects ${bh.reject.filter(Boolean).length}, mean Wilcoxon p ${(wilcoxonSum / COMPARISONS).toFixed(3)}, sample size feasible for ${ns.length}, median n ${ns.sort((a, b) => a - b)[Math.floor(ns.length / 2)] ?? '-'}`,
);
