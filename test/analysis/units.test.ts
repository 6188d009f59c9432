// Unit-level tests through the verdict engine (hypotheses/analysis/units.ts) against scipy
// (test/fixtures/stats/units.json from generate.py): per-unit means over seeds, the one-sample
// t-test and its bound, the opposite and two-sided tests, Wilcoxon, and the two-level bootstrap.
// Also: a deterministic variant (identical seeds) is decided over queries, and every record names its unit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSweepData, type MetricRow, type TestRecord, type UnitValueSet } from '../../hypotheses/analysis/index.ts';
import { assertClose, loadFixture } from '../stats/helpers.ts';
import { okCells, row, spec } from './helpers.ts';

interface UnitCase {
  name: string;
  kind: 'single' | 'within-run' | 'across-variants';
  input: { v: number[][]; b: number[][] | null; alternative: string; mu: number; companionMu: number; level: number };
  expected: {
    unitMeans: number[]; n: number; mean: number; sd: number;
    claim: { statistic: number; pValue: number; bound: number };
    opposite: { pValue: number };
    twoSided: { statistic: number; pValue: number };
    wilcoxon: { statistic: number; pValue: number };
    bootstrap: { mean: number; ciLow: number; ciHigh: number };
  };
}
const fx = loadFixture<UnitCase>('units');
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

function unitSet(r: MetricRow, metric: string, unit: string, values: number[], prefix: string, tags = r.tags): UnitValueSet {
  return { hypothesis: r.hypothesis, variant: r.variant, seed: r.seed, gpu: r.gpu, params: r.params, cellKey: r.cellKey, metric, unit, tags, ids: values.map((_, i) => `${prefix}${i}`), values };
}

/** The engine input for a fixture case: seed-level rows (per-seed means) and the per-unit values behind them. */
function inputFor(c: UnitCase) {
  const seeds = c.input.v.map((_, i) => i + 1);
  const rows: MetricRow[] = [];
  const units: UnitValueSet[] = [];
  if (c.kind === 'single') {
    const s = spec({ hypotheses: ['H1'], seeds, variants: { H1: ['sign'] }, settings: { H1: { overlapThreshold: c.input.mu } } });
    c.input.v.forEach((v, i) => {
      const r = row('H1', 'sign', seeds[i], 'overlap_at_k', mean(v), { k: 10 });
      rows.push(r);
      units.push(unitSet(r, 'overlap_at_k', 'query', v, 'q'));
    });
    return { s, rows, units, comparison: 'overlap-sign@query', claimTest: 'lower-confidence-bound' };
  }
  if (c.kind === 'within-run') {
    const s = spec({ hypotheses: ['H1'], seeds, variants: { H1: ['rhp'] }, grid: { H1: { bits: [64] } }, settings: { H1: { ndcgMargin: -c.input.mu } } });
    c.input.v.forEach((v, i) => {
      const rb = row('H1', 'rhp', seeds[i], 'ndcg_at_10_binary', mean(v), { bits: 64 }, { params: { bits: 64 } });
      const rf = row('H1', 'rhp', seeds[i], 'ndcg_at_10_float', mean(c.input.b![i]), { bits: 64 }, { params: { bits: 64 } });
      rows.push(rb, rf);
      units.push(unitSet(rb, 'ndcg_at_10_binary', 'query', v, 'q'), unitSet(rf, 'ndcg_at_10_float', 'query', c.input.b![i], 'q'));
    });
    return { s, rows, units, comparison: 'ndcg-rhp@query', claimTest: 'non-inferiority' };
  }
  const s = spec({ hypotheses: ['H2'], seeds, settings: { H2: { pplRatio: Math.exp(c.input.mu) } } });
  c.input.v.forEach((v, i) => {
    const rv = row('H2', 'bin-kv', seeds[i], 'ppl', Math.exp(mean(v)), { ctx: 64, kv: 'bin' });
    const rb = row('H2', 'int4', seeds[i], 'ppl', Math.exp(mean(c.input.b![i])), { ctx: 64, kv: 'int4' });
    rows.push(rv, rb);
    units.push(unitSet(rv, 'nll', 'window', v, 'w'), unitSet(rb, 'nll', 'window', c.input.b![i], 'w'));
  });
  return { s, rows, units, comparison: 'ppl-bin-vs-int4@window', claimTest: 'non-inferiority' };
}

describe('unit-level tests vs scipy (units.json)', () => {
  it(`has ${fx.count} cases from scipy ${fx.meta.scipy}`, () => assert.ok(fx.count >= 3));
  for (const c of fx.cases) {
    it(c.name, () => {
      const { s, rows, units, comparison, claimTest } = inputFor(c);
      const a = analyzeSweepData({ spec: s, rows, cells: okCells(rows), units }).analyses[0];
      const rec = (test: string) => {
        const r = a.tests.find((t) => t.comparison === comparison && t.test === test);
        assert.ok(r, `${c.name}: no ${test} record for ${comparison} (have ${[...new Set(a.tests.map((t) => t.comparison))].join(', ')})`);
        return r as TestRecord;
      };
      const claim = rec(claimTest);
      assert.equal(claim.n, c.expected.n);
      assert.equal(claim.details.unit, comparison.split('@')[1]);
      assertClose(claim.meanDiff, c.expected.mean, 'mean', 1e-12);
      assertClose(claim.sdDiff, c.expected.sd, 'sd', 1e-10);
      assertClose(claim.statistic, c.expected.claim.statistic, 'claim t', 1e-10);
      assertClose(claim.pValue, c.expected.claim.pValue, 'claim p', 1e-9);
      assertClose(claim.details.confidenceBound as number, c.expected.claim.bound, 'claim bound', 1e-10);
      assertClose(rec('opposite-one-sided').pValue, c.expected.opposite.pValue, 'opposite p', 1e-9);
      const two = rec('paired-t-two-sided');
      assertClose(two.statistic, c.expected.twoSided.statistic, 'two-sided t', 1e-10);
      assertClose(two.pValue, c.expected.twoSided.pValue, 'two-sided p', 1e-9);
      const w = rec('wilcoxon-signed-rank');
      assertClose(w.statistic, c.expected.wilcoxon.statistic, 'wilcoxon W', 1e-12);
      assertClose(w.pValue, c.expected.wilcoxon.pValue, 'wilcoxon p', 1e-9);
      const b = rec('bootstrap-ci');
      assert.equal(b.details.unit, `seed×${comparison.split('@')[1]}`);
      assertClose(b.meanDiff, c.expected.bootstrap.mean, 'bootstrap mean', 1e-12);
      assertClose(b.ciLow, c.expected.bootstrap.ciLow, 'bootstrap ciLow', 1e-12);
      assertClose(b.ciHigh, c.expected.bootstrap.ciHigh, 'bootstrap ciHigh', 1e-12);
      // every record says which unit it used
      for (const t of a.tests) assert.ok(typeof t.details.unit === 'string', `${t.comparison} ${t.test} has no unit`);
    });
  }
});

describe('deterministic variants are decided over units', () => {
  it('sign with identical seeds: the verdict comes from the query-level tests, and says so', () => {
    const c = fx.cases.find((x) => x.kind === 'single')!;
    const { s, rows, units } = inputFor(c);
    const a = analyzeSweepData({ spec: s, rows, cells: okCells(rows), units }).analyses[0];
    // seed-level: sd 0 over identical seeds; query-level: a real test over 40 queries
    const seedLevel = a.tests.find((t) => t.comparison === 'overlap-sign' && t.test === 'lower-confidence-bound')!;
    assert.equal(seedLevel.details.unit, 'seed');
    assert.equal(seedLevel.sdDiff, 0);
    assert.equal(a.keyNumbers.unit, 'query');
    assert.match(a.reason, /tested over queries: every seed of sign gives the same per-query values/);
    assert.equal((a.keyNumbers.binarizers as Record<string, { unit: string }>).sign.unit, 'query');
    assert.equal(a.keyNumbers.primaryBinarizer, 'sign', 'a sign-only sweep is about sign, not rhp');
  });
  it('without values events nothing changes: seed-level tests only, unit "seed"', () => {
    const c = fx.cases.find((x) => x.kind === 'single')!;
    const { s, rows } = inputFor(c);
    const a = analyzeSweepData({ spec: s, rows, cells: okCells(rows) }).analyses[0];
    assert.ok(a.tests.every((t) => t.details.unit === 'seed' && !t.comparison.includes('@')));
    assert.equal(a.keyNumbers.unit, 'seed');
  });
  it('H2 with identical seeds is decided over windows', () => {
    const c = fx.cases.find((x) => x.kind === 'across-variants')!;
    const same = { ...c, input: { ...c.input, v: c.input.v.map(() => c.input.v[0]), b: c.input.b!.map(() => c.input.b![0]) } };
    const { s, rows, units } = inputFor(same);
    const a = analyzeSweepData({ spec: s, rows, cells: okCells(rows), units }).analyses[0];
    assert.equal(a.keyNumbers.unit, 'window');
    assert.match(a.reason, /tested over windows/);
  });
});
