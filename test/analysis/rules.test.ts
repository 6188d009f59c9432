// Each verdict rule on constructed rows: supported, rejected, inconclusive (too few seeds, no
// telemetry, fewer than two families), unmatched observations listed with why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSweepData, type CellStatus, type HypothesisAnalysis, type MetricRow } from '../../hypotheses/analysis/index.ts';
import { okCells, rng, row, spec } from './helpers.ts';

function run(specInput: Record<string, unknown>, rows: MetricRow[], cells?: CellStatus[]): HypothesisAnalysis[] {
  return analyzeSweepData({ spec: spec(specInput), rows, cells: cells ?? okCells(rows) }).analyses;
}
const seedsOf = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

// ---------- H1
function h1Rows(seeds: number[], overlap: (bits: number, k: number, seed: number) => number, ndcgDrop: (bits: number) => number, binarizer = 'rhp'): MetricRow[] {
  const R = rng(11);
  const rows: MetricRow[] = [];
  for (const bits of [64, 256, 1024]) {
    for (const seed of seeds) {
      const opts = { params: { dataset: 'synthetic', ks: [10, 50], bits } };
      for (const k of [10, 50]) rows.push(row('H1', binarizer, seed, 'overlap_at_k', overlap(bits, k, seed) + 0.002 * R.normal(), { bits, k }, opts));
      const f = 0.6 + 0.01 * R.normal();
      rows.push(row('H1', binarizer, seed, 'ndcg_at_10_float', f, { bits }, opts));
      rows.push(row('H1', binarizer, seed, 'ndcg_at_10_binary', f - ndcgDrop(bits) + 0.002 * R.normal(), { bits }, opts));
    }
  }
  return rows;
}
const H1_SPEC = (n: number) => ({ hypotheses: ['H1'], seeds: seedsOf(n), variants: { H1: ['rhp', 'itq'] } });

test('H1 supported: m* is the smallest m with overlap LCB ≥ 0.95 for both k, nDCG non-inferior there', () => {
  const rows = [
    ...h1Rows(seedsOf(6), (bits) => (bits >= 256 ? 0.98 : 0.9), () => 0.005),
    ...h1Rows(seedsOf(6), (bits) => (bits >= 1024 ? 0.98 : 0.9), () => 0.005, 'itq'),
  ];
  const [a] = run(H1_SPEC(6), rows);
  assert.equal(a.verdict, 'supported', a.reason);
  assert.equal(a.keyNumbers.mStar, 256);
  const bin = a.keyNumbers.binarizers as Record<string, { mStar: unknown }>;
  assert.equal(bin.itq.mStar, 1024, 'other binarizers are reported');
  assert.ok(a.tests.some((t) => t.comparison === 'overlap-itq' && t.details.role === 'secondary'));
});

test('H1 rejected when overlap is significantly below the threshold at every m', () => {
  const [a] = run(H1_SPEC(5), h1Rows(seedsOf(5), () => 0.8, () => 0.005));
  assert.equal(a.verdict, 'rejected', a.reason);
  assert.match(a.reason, /every m/);
});

test('H1 rejected when nDCG at m* is significantly worse than float by more than the margin', () => {
  const [a] = run(H1_SPEC(6), h1Rows(seedsOf(6), (bits) => (bits >= 256 ? 0.98 : 0.9), () => 0.06));
  assert.equal(a.verdict, 'rejected', a.reason);
  assert.match(a.reason, /nDCG@10 is significantly worse/);
});

test('H1 inconclusive (too few seeds) with 2 seeds', () => {
  const [a] = run(H1_SPEC(2), h1Rows(seedsOf(2), () => 0.99, () => 0.0));
  assert.equal(a.verdict, 'inconclusive');
  assert.match(a.reason, /too few seeds/);
  const r = a.tests.find((t) => t.test === 'lower-confidence-bound')!;
  assert.equal(r.details.tooFewSeeds, true);
  assert.equal(r.pHolm, null);
  assert.equal(r.reject, null);
});

// ---------- H2
function h2Rows(seeds: number[], ratio: (ctx: number, seed: number) => number, gpus = ['cpu']): MetricRow[] {
  const R = rng(5);
  const rows: MetricRow[] = [];
  for (const gpu of gpus) for (const seed of seeds) for (const ctx of [128, 512]) {
    const opts = { gpu, params: { dataset: 'synthetic', contexts: [128, 512] } };
    const p = 20 + R.normal();
    rows.push(row('H2', 'int4', seed, 'ppl', p, { ctx }, opts));
    rows.push(row('H2', 'bin-kv', seed, 'ppl', p * ratio(ctx, seed) * (1 + 0.003 * R.normal()), { ctx }, opts));
  }
  return rows;
}
const H2_SPEC = (n: number, gpus = ['cpu']) => ({ hypotheses: ['H2'], seeds: seedsOf(n), gpus });

test('H2 supported / rejected / too few seeds', () => {
  assert.equal(run(H2_SPEC(5), h2Rows(seedsOf(5), () => 1.01))[0].verdict, 'supported');
  const rej = run(H2_SPEC(5), h2Rows(seedsOf(5), (ctx) => (ctx === 512 ? 1.2 : 1.01)))[0];
  assert.equal(rej.verdict, 'rejected', rej.reason);
  assert.match(rej.reason, /ctx=512/);
  const few = run(H2_SPEC(2), h2Rows(seedsOf(2), () => 1.01))[0];
  assert.equal(few.verdict, 'inconclusive');
  assert.match(few.reason, /too few seeds/);
});

test('H2 pairs bin-kv with int4 when the kernel also tags each metric with its kv setting', () => {
  // binllm-lm tags ppl with {ctx, kv}; kv defines the variant, so it must not block the pairing.
  const kvOf: Record<string, string> = { 'bin-kv': 'bin', int4: 'int4' };
  const rows = h2Rows(seedsOf(5), () => 1.01).map((r) => ({ ...r, tags: { ...r.tags, kv: kvOf[r.variant] } }));
  const [a] = run(H2_SPEC(5), rows);
  assert.equal(a.unmatched.length, 0);
  assert.equal(a.verdict, 'supported', a.reason);
  assert.ok(a.tests.some((t) => t.metric === 'ppl' && t.n === 5));
});

test('H2 unmatched observations are listed with the partner cell status', () => {
  const rows = h2Rows(seedsOf(4), () => 1.01).filter((r) => !(r.variant === 'int4' && r.seed === 3));
  const cells = okCells(rows);
  cells.push({ hypothesis: 'H2', variant: 'int4', seed: 3, gpu: 'cpu', status: 'failed', reason: 'kernel crashed: out of memory', params: rows[0].params });
  const [a] = run(H2_SPEC(4), rows, cells);
  assert.equal(a.unmatched.length, 2);
  for (const u of a.unmatched) {
    assert.equal(u.variant, 'bin-kv');
    assert.equal(u.seed, 3);
    assert.match(u.reason, /its cell is failed \(kernel crashed: out of memory\)/);
  }
  assert.deepEqual(a.holes, [{ variant: 'int4', seed: 3, gpu: 'cpu', status: 'failed', reason: 'kernel crashed: out of memory' }]);
  assert.equal(a.tests.find((t) => t.test === 'non-inferiority')!.n, 3);
});

test('pairing across variants with an extra coordinate (gpu) that is not a grid key: averaged per seed', () => {
  const [a] = run(H2_SPEC(4, ['cpu', 'h100']), h2Rows(seedsOf(4), () => 1.01, ['cpu', 'h100']));
  const r = a.tests.find((t) => t.test === 'non-inferiority' && t.grid.ctx === 128)!;
  assert.equal(r.n, 4, 'the seed is the replication unit, not the gpu');
  assert.deepEqual(r.details.aggregatedOver, ['gpu']);
  assert.ok(a.warnings.some((w) => /averaged \(geometric mean\) over gpu/.test(w)));
});

// ---------- H3
function h3Rows(seeds: number[], drop: number, opts: { bitsBin?: number; withMem?: boolean; fraction?: boolean } = {}): MetricRow[] {
  const R = rng(3);
  const rows: MetricRow[] = [];
  const scale = opts.fraction ? 0.01 : 1;
  for (const seed of seeds) {
    for (const task of ['sst2', 'mnli']) {
      const a = 85 + R.normal();
      rows.push(row('H3', 'int4', seed, 'accuracy', a * scale, { task }));
      rows.push(row('H3', 'bin-blocks', seed, 'accuracy', (a - drop + 0.1 * R.normal()) * scale, { task }));
    }
    rows.push(row('H3', 'int4', seed, 'bits_per_param', 4));
    rows.push(row('H3', 'bin-blocks', seed, 'bits_per_param', opts.bitsBin ?? 1.5));
    if (opts.withMem !== false) {
      rows.push(row('H3', 'int4', seed, 'peak_mem_bytes', 4e8));
      rows.push(row('H3', 'bin-blocks', seed, 'peak_mem_bytes', 2e8));
    }
  }
  return rows;
}
const H3_SPEC = { hypotheses: ['H3'], seeds: seedsOf(5) };

test('H3 supported, rejected by the deterministic check, inconclusive without memory telemetry', () => {
  assert.equal(run(H3_SPEC, h3Rows(seedsOf(5), 0.1))[0].verdict, 'supported');
  const det = run(H3_SPEC, h3Rows(seedsOf(5), 0.1, { bitsBin: 4 }))[0];
  assert.equal(det.verdict, 'rejected');
  assert.match(det.reason, /deterministic check failed: bits_per_param/);
  const noMem = run(H3_SPEC, h3Rows(seedsOf(5), 0.1, { withMem: false }))[0];
  assert.equal(noMem.verdict, 'inconclusive');
  assert.match(noMem.reason, /peak_mem_bytes .* not reported/);
  assert.equal(run(H3_SPEC, h3Rows(seedsOf(5), 3))[0].verdict, 'rejected');
});

test('H3 accuracies stored as fractions: the 1-point margin is applied as 0.01, with a warning', () => {
  const [a] = run(H3_SPEC, h3Rows(seedsOf(5), 0.1, { fraction: true }));
  assert.equal(a.verdict, 'supported', a.reason);
  assert.ok(a.warnings.some((w) => /applied as 0.01/.test(w)));
  assert.equal(a.settings.comparisons[0].effectiveMargin, 0.01);
  assert.equal(a.tests.find((t) => t.test === 'non-inferiority')!.margin, 0.01);
});

// ---------- H4
function h4Rows(seeds: number[], embedDrop: number, blocksDrop: number, budget: (seed: number) => [number, number] = () => [1e9, 1e9]): MetricRow[] {
  const R = rng(4);
  const rows: MetricRow[] = [];
  for (const seed of seeds) {
    for (const task of ['sst2', 'mnli']) {
      const a = 85 + R.normal();
      rows.push(row('H4', 'fp16', seed, 'accuracy', a, { task }));
      rows.push(row('H4', 'bin-embed', seed, 'accuracy', a - embedDrop + 0.2 * R.normal(), { task }));
      rows.push(row('H4', 'bin-blocks', seed, 'accuracy', a - blocksDrop + 0.2 * R.normal(), { task }));
    }
    const [ea, eb] = budget(seed);
    rows.push(row('H4', 'bin-embed', seed, 'total_bits', ea));
    rows.push(row('H4', 'bin-blocks', seed, 'total_bits', eb));
  }
  return rows;
}
const H4_SPEC = { hypotheses: ['H4'], seeds: seedsOf(5) };

test('H4 supported, rejected (d_B > d_A), invalid bit budgets excluded and listed', () => {
  const sup = run(H4_SPEC, h4Rows(seedsOf(5), 5, 1))[0];
  assert.equal(sup.verdict, 'supported', sup.reason);
  assert.ok(Array.isArray((sup.keyNumbers.degradationVsFp16 as Record<string, unknown>)['bin-embed']));
  assert.equal(run(H4_SPEC, h4Rows(seedsOf(5), 1, 5))[0].verdict, 'rejected');
  const bad = run(H4_SPEC, h4Rows(seedsOf(5), 5, 1, (seed) => (seed <= 3 ? [1e9, 1.05e9] : [1e9, 1.001e9])))[0];
  assert.equal(bad.verdict, 'inconclusive');
  assert.match(bad.reason, /too few seeds/);
  const invalid = bad.unmatched.filter((u) => /total_bits .* differ by 4\.76% > 1\.00%/.test(u.reason));
  assert.equal(invalid.length, 6, '3 seeds × 2 tasks');
  const check = bad.tests.find((t) => t.test === 'deterministic-check')!;
  assert.equal(check.details.invalidPairs, 6);
});

// ---------- H5
function h5Rows(seeds: number[], gpus: string[], telemetry: (gpu: string) => boolean): MetricRow[] {
  const R = rng(9);
  const rows: MetricRow[] = [];
  for (const gpu of gpus) for (const seed of seeds) for (const ctx of [1024, 16384, 131072]) {
    const opts = { gpu, params: { contexts: [1024, 16384, 131072] } };
    const gain = ctx >= 16384 ? 0.2 : -0.1;
    const t = 1000 * (1 + 0.01 * R.normal());
    rows.push(row('H5', 'int4', seed, 'tokens_per_s', t, { ctx }, opts));
    rows.push(row('H5', 'bin-kv', seed, 'tokens_per_s', t * (1 + gain) * (1 + 0.002 * R.normal()), { ctx }, opts));
    if (telemetry(gpu)) {
      const j = 0.5 * (1 + 0.01 * R.normal());
      rows.push(row('H5', 'int4', seed, 'joules_per_token', j, { ctx }, opts));
      rows.push(row('H5', 'bin-kv', seed, 'joules_per_token', j * (1 - gain) * (1 + 0.002 * R.normal()), { ctx }, opts));
    }
  }
  return rows;
}

test('H5 supported with a crossover L* per GPU (pairs across gpu and ctx)', () => {
  const [a] = run({ hypotheses: ['H5'], seeds: seedsOf(4), gpus: ['a100', 'h100'] }, h5Rows(seedsOf(4), ['a100', 'h100'], () => true));
  assert.equal(a.verdict, 'supported', a.reason);
  assert.deepEqual(a.keyNumbers.crossoverL, { a100: 16384, h100: 16384 });
  const r = a.tests.find((t) => t.test === 'superiority' && t.grid.gpu === 'h100' && t.grid.ctx === 131072)!;
  assert.equal(r.n, 4);
  assert.equal(r.details.aggregatedOver?.length ?? 0, 0);
});

test('H5 without joules_per_token rows: inconclusive (no energy telemetry on <device>)', () => {
  const [a] = run({ hypotheses: ['H5'], seeds: seedsOf(4), gpus: ['cpu'] }, h5Rows(seedsOf(4), ['cpu'], () => false));
  assert.equal(a.verdict, 'inconclusive');
  assert.equal(a.reason, 'inconclusive (no energy telemetry on cpu)');
});

// ---------- H6
test('H6 with fewer than two families measured: inconclusive', () => {
  const [, h6] = run({ hypotheses: ['H2', 'H6'], seeds: seedsOf(4) }, h2Rows(seedsOf(4), () => 1.01));
  assert.equal(h6.hypothesis, 'H6');
  assert.equal(h6.verdict, 'inconclusive');
  assert.match(h6.reason, /fewer than two families measured: language-modelling/);
});

test('H6 with three families: Friedman over seeds, verdict strings stored literally', () => {
  const rows = [
    ...h1Rows(seedsOf(6), (bits) => (bits >= 256 ? 0.98 : 0.9), (bits) => 0.3 * (40 / bits)),
    ...h2Rows(seedsOf(6), () => 1.2),
    ...h3Rows(seedsOf(6), 0.1),
  ];
  const all = run({ hypotheses: ['H1', 'H2', 'H3', 'H6'], seeds: seedsOf(6), variants: { H1: ['rhp'] } }, rows);
  const h6 = all.find((x) => x.hypothesis === 'H6')!;
  assert.equal(h6.verdict, 'differs', h6.reason);
  const ranking = h6.keyNumbers.familyRanking as Array<{ family: string; mean: number }>;
  assert.equal(ranking[0].family, 'language-modelling');
  assert.ok(Math.abs(ranking[0].mean - 0.2) < 0.01);
  const retrieval = ranking.find((r) => r.family === 'retrieval') as unknown as { at: { bits: number; chosenBy: string } };
  assert.deepEqual(retrieval.at, { bits: 256, chosenBy: "H1's m*" });
  const fr = h6.tests.find((t) => t.test === 'friedman')!;
  assert.equal(fr.n, 6);
  assert.equal(fr.df, 2);
  // Identical per-seed degradations across families (up to rank ties) → no detectable difference.
  const same = run({ hypotheses: ['H2', 'H3', 'H6'], seeds: seedsOf(6) }, [...h2Rows(seedsOf(6), () => 1.001), ...h3Rows(seedsOf(6), 0.1)]);
  const h6b = same.find((x) => x.hypothesis === 'H6')!;
  assert.ok(['no detectable difference', 'differs'].includes(h6b.verdict));
  assert.equal(h6b.tests.find((t) => t.comparison === 'families')!.test, 'wilcoxon-signed-rank', 'two families: paired Wilcoxon');
  // With 5 seeds the exact two-sided Wilcoxon cannot reach p ≤ 0.05 (floor 0.0625): that is no evidence either way.
  const few = run({ hypotheses: ['H2', 'H3', 'H6'], seeds: seedsOf(5) }, [...h2Rows(seedsOf(5), () => 1.001), ...h3Rows(seedsOf(5), 0.1)]);
  const h6c = few.find((x) => x.hypothesis === 'H6')!;
  assert.equal(h6c.verdict, 'inconclusive', h6c.reason);
  assert.match(h6c.reason, /needs ≥ 6 seeds/);
});

test('a targeted grid point with no observation at all blocks "supported" (H2 context, H5 longest L)', () => {
  const h2 = run(H2_SPEC(5), h2Rows(seedsOf(5), () => 1.01).filter((r) => r.tags.ctx !== 512))[0];
  assert.equal(h2.verdict, 'inconclusive', h2.reason);
  assert.match(h2.reason, /no pairs at ctx=512/);
  const rows = h5Rows(seedsOf(4), ['a100'], () => true).filter((r) => r.tags.ctx !== 131072);
  const h5 = run({ hypotheses: ['H5'], seeds: seedsOf(4), gpus: ['a100'] }, rows)[0];
  assert.equal(h5.verdict, 'inconclusive', h5.reason);
  assert.deepEqual(h5.keyNumbers.crossoverL, { a100: null });
});
