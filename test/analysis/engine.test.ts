// Pairing, claims, corrections and boundary checks of the verdict engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AnalysisInputError, analyzeSweepData, pairComparison, planClaim, RowIndex, type MetricRow, type TestRecord,
} from '../../hypotheses/analysis/index.ts';
import { applyBh, applyHolm } from '../../hypotheses/analysis/corrections.ts';
import { HYPOTHESES } from '../../hypotheses/registry.ts';
import type { Comparison } from '../../hypotheses/definition.ts';
import { benjaminiHochberg, holmBonferroni } from '../../hypotheses/stats/index.ts';
import { okCells, row, spec, syntheticSweep } from './helpers.ts';

test('within-run pairing ignores metric-specific tags and lists what does not pair', () => {
  const rows: MetricRow[] = [];
  for (const seed of [1, 2, 3]) {
    const opts = { params: { bits: 128, ks: [10, 50] } };
    rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_binary', 0.59, { bits: 128, codes: 'packed' }, opts));
    rows.push(row('H1', 'rhp', seed, 'ndcg_at_10_float', 0.60, { bits: 128 }, opts));
  }
  // seed 4: a binary value without its float partner
  rows.push(row('H1', 'rhp', 4, 'ndcg_at_10_binary', 0.59, { bits: 128, codes: 'packed' }, { params: { bits: 128, ks: [10, 50] } }));
  const index = new RowIndex(HYPOTHESES.H1, rows, okCells(rows));
  const res = pairComparison(index, 'ndcg-rhp', { kind: 'within-run', variant: 'rhp', variantMetric: 'ndcg_at_10_binary', baselineMetric: 'ndcg_at_10_float' }, ['bits']);
  assert.equal(res.pairs.length, 3);
  assert.ok(res.pairs.every((p) => p.grid.bits === 128 && p.variantCell === p.baselineCell));
  assert.equal(res.unmatched.length, 1);
  assert.equal(res.unmatched[0].seed, 4);
  assert.match(res.unmatched[0].reason, /no ndcg_at_10_float row in the same cell/);
});

test('within-run pairing: several rows sharing the matching tags are ambiguous, not guessed', () => {
  const opts = { params: { bits: 64 } };
  const rows = [
    row('H1', 'rhp', 1, 'ndcg_at_10_binary', 0.5, { bits: 64 }, opts),
    row('H1', 'rhp', 1, 'ndcg_at_10_binary', 0.51, { bits: 64, rep: 2 }, opts),
    row('H1', 'rhp', 1, 'ndcg_at_10_float', 0.6, { bits: 64 }, opts),
  ];
  const index = new RowIndex(HYPOTHESES.H1, rows, okCells(rows));
  const res = pairComparison(index, 'x', { kind: 'within-run', variant: 'rhp', variantMetric: 'ndcg_at_10_binary', baselineMetric: 'ndcg_at_10_float' }, ['bits']);
  assert.equal(res.pairs.length, 0);
  assert.equal(res.unmatched.length, 3);
  assert.ok(res.unmatched.some((u) => /ambiguous/.test(u.reason)));
});

test('across-variants pairing needs every shared coordinate: a differing param does not pair', () => {
  const rows = [
    row('H2', 'int4', 1, 'ppl', 20, { ctx: 64 }, { params: { d_model: 64 } }),
    row('H2', 'bin-kv', 1, 'ppl', 21, { ctx: 64 }, { params: { d_model: 128 } }),
    row('H2', 'bin-kv', 1, 'ppl', 21, { ctx: 128 }, { params: { d_model: 64 } }),
  ];
  const index = new RowIndex(HYPOTHESES.H2, rows, okCells(rows));
  const res = pairComparison(index, 'ppl', { kind: 'across-variants', metric: 'ppl', variant: 'bin-kv', baseline: 'int4' }, ['ctx']);
  assert.equal(res.pairs.length, 0);
  assert.equal(res.unmatched.length, 3);
  assert.ok(res.unmatched.every((u) => /its cell ran but reported no matching row/.test(u.reason)));
});

test('NaN or Infinity in a metric row is rejected at the boundary with a clear error', () => {
  const s = spec({ hypotheses: ['H2'], seeds: [1, 2, 3] });
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    const rows = [row('H2', 'int4', 1, 'ppl', 20, { ctx: 64 }), row('H2', 'bin-kv', 1, 'ppl', bad, { ctx: 64 })];
    assert.throws(() => analyzeSweepData({ spec: s, rows, cells: okCells(rows) }), (e: unknown) => {
      assert.ok(e instanceof AnalysisInputError);
      assert.match(e.message, /metric row 1 .*variant bin-kv, seed 1.*metric ppl\): value (NaN|Infinity|-Infinity) is not a finite number/);
      assert.match(e.message, /re-run the cell/);
      return true;
    });
  }
});

test('claims: each kind maps to its one-sided test; wrong pairings and margins are refused', () => {
  const base = { id: 'c', description: '', gridKeys: [], family: 'f', role: 'primary' as const };
  const ni: Comparison = { ...base, pairing: { kind: 'across-variants', metric: 'ppl', variant: 'a', baseline: 'b' }, direction: 'lower', claim: { kind: 'non-inferiority', margin: Math.log(1.05), scale: 'log' } };
  const p = planClaim(ni);
  assert.equal(p.alternative, 'less');
  assert.equal(p.opposite, 'greater');
  assert.equal(p.mu, Math.log(1.05));
  assert.equal(p.scale, 'log');
  const hi = planClaim({ ...ni, direction: 'higher', claim: { kind: 'non-inferiority', margin: 0.02, scale: 'absolute' } });
  assert.equal(hi.alternative, 'greater');
  assert.equal(hi.mu, -0.02);
  assert.throws(() => planClaim({ ...ni, claim: { kind: 'non-inferiority', margin: 0, scale: 'absolute' } }), /margin must be a finite number > 0/);
  assert.throws(() => planClaim({ ...ni, claim: { kind: 'lower-confidence-bound', threshold: 0.95 } }), /needs a single pairing/);
  assert.throws(() => planClaim({ ...ni, pairing: { kind: 'single', metric: 'm', variant: 'a' } }), /needs a paired/);
  assert.throws(() => planClaim({ ...ni, claim: { kind: 'equivalence-by-nonsignificance' } as never }), /unknown claim kind/);
  // Every comparison of every definition plans without error.
  for (const def of Object.values(HYPOTHESES)) {
    for (const c of def.comparisons(def.settings.parse({}) as never)) planClaim(c);
  }
});

function rec(family: string, test: TestRecord['test'], p: number, extra: Partial<TestRecord['details']> = {}): TestRecord {
  return {
    comparison: family, family, metric: 'm', grid: {}, test, alternative: 'greater', margin: null, n: 5, meanDiff: 0, sdDiff: 1,
    ciLow: null, ciHigh: null, statistic: 0, df: 4, pValue: p, pHolm: null, pBh: null, reject: null, details: { ...extra },
  };
}

test('Holm within (family, test name); BH across the sweep per class; too-few-seeds tests excluded', () => {
  const a = [rec('F1', 'non-inferiority', 0.01), rec('F1', 'non-inferiority', 0.04), rec('F1', 'non-inferiority', 0.03)];
  const b = [rec('F2', 'superiority', 0.02), rec('F2', 'superiority', 0.5)];
  const opp = [rec('F1', 'opposite-one-sided', 0.2), rec('F1', 'opposite-one-sided', 0.01)];
  const few = rec('F1', 'non-inferiority', 0.001, { tooFewSeeds: true });
  const all = [...a, ...b, ...opp, few];
  applyHolm(all, 0.05);
  const hA = holmBonferroni([0.01, 0.04, 0.03]);
  a.forEach((r, i) => { assert.equal(r.pHolm, hA.adjusted[i]); assert.equal(r.reject, hA.reject[i]); assert.equal(r.details.holmSize, 3); });
  const hB = holmBonferroni([0.02, 0.5]);
  b.forEach((r, i) => assert.equal(r.pHolm, hB.adjusted[i]));
  const hO = holmBonferroni([0.2, 0.01]);
  opp.forEach((r, i) => assert.equal(r.pHolm, hO.adjusted[i]));
  assert.equal(few.pHolm, null);
  assert.equal(few.reject, null);
  applyBh(all, 0.05);
  const bh = benjaminiHochberg([0.01, 0.04, 0.03, 0.02, 0.5]);
  [...a, ...b].forEach((r, i) => assert.equal(r.pBh, bh.adjusted[i]));
  const bhO = benjaminiHochberg([0.2, 0.01]);
  opp.forEach((r, i) => assert.equal(r.pBh, bhO.adjusted[i]));
  assert.equal(few.pBh, null);
});

test('failing tests carry the seeds needed for 80% power; Wilcoxon n = 3 floor is noted', () => {
  const rows: MetricRow[] = [];
  const ratios = [1.03, 1.06, 1.01];
  ratios.forEach((q, i) => {
    rows.push(row('H2', 'int4', i + 1, 'ppl', 20, { ctx: 64 }));
    rows.push(row('H2', 'bin-kv', i + 1, 'ppl', 20 * q, { ctx: 64 }));
  });
  const [a] = analyzeSweepData({ spec: spec({ hypotheses: ['H2'], seeds: [1, 2, 3] }), rows, cells: okCells(rows) }).analyses;
  const ni = a.tests.find((t) => t.test === 'non-inferiority')!;
  assert.equal(ni.reject, false);
  assert.ok(typeof ni.details.seedsFor80Power === 'number' && ni.details.seedsFor80Power > 3);
  const w = a.tests.find((t) => t.test === 'wilcoxon-signed-rank')!;
  assert.equal(w.details.minimumAchievablePValue, 0.25);
  assert.match(String(w.details.powerNote), /can never go below 0.25/);
});

test('the output is JSON-safe and deterministic; the engine has no I/O, clock or randomness', () => {
  const s = spec({ preset: 'protocol', seeds: [1, 2, 3, 4] });
  const { rows, cells } = syntheticSweep(s, 0);
  const a = analyzeSweepData({ spec: s, rows, cells });
  const b = analyzeSweepData({ spec: s, rows: [...rows].reverse(), cells });
  const json = JSON.stringify(a);
  assert.deepEqual(JSON.parse(json), a, 'round-trips through JSON unchanged (no Infinity/NaN/undefined-only values lost)');
  assert.deepEqual(a.analyses.map((x) => [x.hypothesis, x.verdict, x.reason]), b.analyses.map((x) => [x.hypothesis, x.verdict, x.reason]));
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../hypotheses/analysis');
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(src, /from ['"]node:|Math\.random|Date\.now|new Date\(|performance\.now|process\./, `${f} must stay pure`);
  }
});

test('seedsForPower (integer search) gives the library solver\'s n', async () => {
  const { seedsForPower } = await import('../../hypotheses/analysis/power.ts');
  const { pairedTTestSampleSize } = await import('../../hypotheses/stats/index.ts');
  for (const alternative of ['greater', 'less', 'two-sided'] as const) {
    for (const d of [0.05, 0.2, 0.5, 0.8, 1.3, 3, 10]) {
      for (const alpha of [0.05, 0.01]) {
        const effect = alternative === 'less' ? -d : d;
        const lib = pairedTTestSampleSize({ effect, sd: 1, alpha, power: 0.8, alternative });
        assert.equal(seedsForPower(effect, 1, alpha, alternative).n, lib.n, `${alternative} d=${d} α=${alpha}`);
      }
    }
  }
  assert.equal(seedsForPower(-1, 1, 0.05, 'greater').n, null);
  assert.equal(seedsForPower(1, 0, 0.05, 'greater').n, 2);
});
