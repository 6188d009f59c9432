// A full H1 + H2 analysis compared with numbers computed independently by scipy / statsmodels
// (test/analysis/reference.py → reference-values.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSweepData, type HypothesisAnalysis, type MetricRow, type TestRecord } from '../../hypotheses/analysis/index.ts';
import { REF } from './reference-values.ts';
import { okCells, row, spec } from './helpers.ts';

const close = (actual: number | null | undefined, expected: number, what: string, tol = 1e-9) => {
  assert.ok(typeof actual === 'number', `${what}: expected a number, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
};

function build(): { rows: MetricRow[] } {
  const rows: MetricRow[] = [];
  const ov: Record<string, number[]> = {
    '64/10': [0.90, 0.92, 0.91, 0.89], '64/50': [0.88, 0.90, 0.87, 0.89],
    '128/10': [0.962, 0.958, 0.965, 0.960], '128/50': [0.955, 0.949, 0.953, 0.951],
    '256/10': [0.985, 0.982, 0.987, 0.984], '256/50': [0.978, 0.975, 0.980, 0.977],
  };
  const fl = [0.61, 0.60, 0.63, 0.62];
  const nb: Record<number, number[]> = { 64: [0.55, 0.545, 0.571, 0.56], 128: [0.59, 0.583, 0.612, 0.598], 256: [0.60, 0.595, 0.622, 0.611] };
  for (const bits of [64, 128, 256]) {
    for (let i = 0; i < 4; i++) {
      const seed = i + 1;
      const opts = { params: { dataset: 'synthetic', ks: [10, 50], bits } };
      for (const k of [10, 50]) rows.push(row('H1', 'rhp', seed, 'overlap_at_k', ov[`${bits}/${k}`][i], { bits, k }, opts));
      rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_float', fl[i], { bits }, opts));
      rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_binary', nb[bits][i], { bits }, opts));
    }
  }
  const int4: Record<number, number[]> = { 256: [20.1, 19.8, 20.5, 21.0, 20.3], 1024: [18.2, 18.0, 18.9, 19.1, 18.5] };
  const bin: Record<number, number[]> = { 256: [20.52, 20.49, 20.75, 21.6, 20.68], 1024: [18.75, 18.81, 19.3, 20.05, 19.2] };
  for (const ctx of [256, 1024]) {
    for (let i = 0; i < 5; i++) {
      const opts = { params: { dataset: 'synthetic', contexts: [256, 1024] } };
      rows.push(row('H2', 'int4', i + 1, 'ppl', int4[ctx][i], { ctx }, opts));
      rows.push(row('H2', 'bin-kv', i + 1, 'ppl', bin[ctx][i], { ctx }, opts));
    }
  }
  return { rows };
}

function find(a: HypothesisAnalysis, comparison: string, test: string, grid: Record<string, unknown>): TestRecord {
  const r = a.tests.find((t) => t.comparison === comparison && t.test === test && JSON.stringify(t.grid) === JSON.stringify(grid));
  assert.ok(r, `no ${test} record for ${comparison} at ${JSON.stringify(grid)}`);
  return r;
}

test('full H1 + H2 analysis matches scipy/statsmodels', () => {
  const { rows } = build();
  const s = spec({ hypotheses: ['H1', 'H2'], seeds: [1, 2, 3, 4, 5], gpus: ['cpu'], variants: { H1: ['rhp'], H2: ['bin-kv', 'int4'] } });
  const result = analyzeSweepData({ spec: s, rows, cells: okCells(rows) });
  const [h1, h2] = result.analyses;

  // H2: per context, NI on the log scale, Holm over contexts, BH across the sweep's claim tests.
  for (const L of [256, 1024] as const) {
    const ref = REF.H2[String(L) as '256' | '1024'];
    const ni = find(h2, 'ppl-bin-vs-int4', 'non-inferiority', { ctx: L });
    close(ni.meanDiff, ref.mean, `H2 ctx ${L} mean log ratio`);
    close(ni.sdDiff, ref.sd, `H2 ctx ${L} sd`);
    close(ni.statistic, ref.t, `H2 ctx ${L} t`);
    assert.equal(ni.df, 4);
    close(ni.pValue, ref.p, `H2 ctx ${L} p`);
    close(ni.pHolm, ref.holm, `H2 ctx ${L} Holm p`);
    close(ni.ciHigh, ref.ub, `H2 ctx ${L} one-sided upper bound`);
    assert.equal(ni.ciLow, null);
    close(ni.details.ratio as number, ref.ratio, `H2 ctx ${L} ratio`);
    close(ni.details.ratioBound as number, ref.ratioub, `H2 ctx ${L} ratio bound`);
    close(ni.details.dz as number, ref.dz, `H2 ctx ${L} d_z`);
    close(ni.margin, Math.log(1.05), 'margin');
    assert.equal(ni.reject, ref.rej);
    const opp = find(h2, 'ppl-bin-vs-int4', 'opposite-one-sided', { ctx: L });
    close(opp.pValue, ref.popp, `H2 ctx ${L} opposite p`, 1e-8);
    close(opp.pHolm, ref.oppholm, `H2 ctx ${L} opposite Holm`);
    const two = find(h2, 'ppl-bin-vs-int4', 'paired-t-two-sided', { ctx: L });
    close(two.pValue, ref.p2, `H2 ctx ${L} two-sided p`);
    close(two.ciLow, ref.ci[0], `H2 ctx ${L} CI low`);
    close(two.ciHigh, ref.ci[1], `H2 ctx ${L} CI high`);
    const w = find(h2, 'ppl-bin-vs-int4', 'wilcoxon-signed-rank', { ctx: L });
    close(w.pValue, ref.pw, `H2 ctx ${L} Wilcoxon p`);
    assert.equal(w.details.wilcoxonMethod, 'exact');
  }
  // BH across all 11 claim tests of the sweep (H1: 6 overlap + 3 nDCG; H2: 2 ppl).
  close(find(h2, 'ppl-bin-vs-int4', 'non-inferiority', { ctx: 256 }).pBh, REF.H1.bhAll[9], 'BH ctx 256');
  close(find(h2, 'ppl-bin-vs-int4', 'non-inferiority', { ctx: 1024 }).pBh, REF.H1.bhAll[10], 'BH ctx 1024');
  assert.equal(h2.verdict, 'supported');
  close(h2.keyNumbers.worstRatioUpperBound as number, REF.H2['1024'].ratioub, 'worst ratio bound');

  // H1: overlap LCB tests, Holm over the 6 (m, k) points, m* and nDCG NI at m*.
  const keys = ['64/10', '64/50', '128/10', '128/50', '256/10', '256/50'] as const;
  keys.forEach((key, i) => {
    const [bits, k] = key.split('/').map(Number);
    const ref = REF.H1.overlap[key];
    const r = find(h1, 'overlap-rhp', 'lower-confidence-bound', { bits, k });
    close(r.pValue, ref.p, `overlap ${key} p`, 1e-8);
    close(r.pHolm, ref.holm, `overlap ${key} Holm`, 1e-8);
    close(r.ciLow, ref.lcb, `overlap ${key} LCB`);
    close(r.meanDiff, ref.mean, `overlap ${key} mean`);
    close(r.pBh, REF.H1.bhAll[i], `overlap ${key} BH`, 1e-8);
    assert.equal(r.reject, ref.rej, `overlap ${key} reject`);
  });
  assert.equal(h1.keyNumbers.mStar, REF.H1.mstar);
  for (const m of [64, 128, 256] as const) {
    const ref = REF.H1.ndcg[String(m) as '64' | '128' | '256'];
    const r = find(h1, 'ndcg-rhp', 'non-inferiority', { bits: m });
    close(r.pValue, ref.p, `ndcg ${m} p`, 1e-8);
    close(r.pHolm, ref.holm, `ndcg ${m} Holm`, 1e-8);
    close(r.ciLow, ref.lcb, `ndcg ${m} LCB`);
    close(r.meanDiff, ref.mean, `ndcg ${m} mean`);
    assert.equal(r.reject, ref.rej);
  }
  assert.equal(h1.verdict, 'supported');
  assert.match(h1.reason, /m\* = 256/);
  assert.match(h1.reason, /Holm/);
  // Descriptives per variant (95% t CI) for H2 at ctx 256.
  const g = h2.groups.find((x) => x.variant === 'int4' && x.grid.ctx === 256)!;
  close(g.mean, 20.34, 'int4 mean');
  assert.equal(g.n, 5);
});

test('H6: relative degradations per family, ranking with 95% CIs and Friedman match scipy', () => {
  // scipy: friedmanchisquare(r1, r2, r3) = (9.333333333333329, 0.00940356255149523);
  // t CIs: retrieval (0.01732276183825318, 0.034343904828413485),
  // language-modelling (0.04637214475752395, 0.05829452190914272), classification (0.006220047333372407, 0.03111328599996093).
  const r1 = [0.02, 0.03, 0.025, 0.018, 0.04, 0.022];
  const r2 = [0.05, 0.045, 0.06, 0.052, 0.049, 0.058];
  const r3 = [0.01, 0.035, 0.005, 0.02, 0.03, 0.012];
  const rows: MetricRow[] = [];
  for (let i = 0; i < 6; i++) {
    const seed = i + 1;
    const o = { params: { bits: 256, ks: [10, 50] } };
    for (const k of [10, 50]) rows.push(row('H1', 'rhp', seed, 'overlap_at_k', 0.98 + 0.001 * i, { bits: 256, k }, o));
    rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_float', 0.5, { bits: 256 }, o));
    rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_binary', 0.5 * (1 - r1[i]), { bits: 256 }, o));
    rows.push(row('H2', 'int4', seed, 'ppl', 10, { ctx: 64 }));
    rows.push(row('H2', 'bin-kv', seed, 'ppl', 10 * (1 + r2[i]), { ctx: 64 }));
    rows.push(row('H3', 'int4', seed, 'accuracy', 80, { task: 'sst2' }));
    rows.push(row('H3', 'bin-blocks', seed, 'accuracy', 80 * (1 - r3[i]), { task: 'sst2' }));
  }
  const s = spec({ hypotheses: ['H1', 'H2', 'H3', 'H6'], seeds: [1, 2, 3, 4, 5, 6], variants: { H1: ['rhp'] } });
  const h6 = analyzeSweepData({ spec: s, rows, cells: okCells(rows) }).analyses.find((a) => a.hypothesis === 'H6')!;
  const fr = h6.tests.find((t) => t.test === 'friedman')!;
  close(fr.statistic, 9.333333333333329, 'Friedman χ²', 1e-9);
  close(fr.pValue, 0.00940356255149523, 'Friedman p', 1e-9);
  assert.equal(h6.verdict, 'differs');
  const ranking = h6.keyNumbers.familyRanking as Array<{ family: string; mean: number; ciLow: number; ciHigh: number }>;
  assert.deepEqual(ranking.map((r) => r.family), ['language-modelling', 'retrieval', 'classification']);
  const exp: Record<string, [number, number, number]> = {
    retrieval: [0.025833333333333333, 0.01732276183825318, 0.034343904828413485],
    'language-modelling': [0.052333333333333336, 0.04637214475752395, 0.05829452190914272],
    classification: [0.018666666666666668, 0.006220047333372407, 0.03111328599996093],
  };
  for (const r of ranking) {
    close(r.mean, exp[r.family][0], `${r.family} mean`);
    close(r.ciLow, exp[r.family][1], `${r.family} CI low`);
    close(r.ciHigh, exp[r.family][2], `${r.family} CI high`);
  }
});
