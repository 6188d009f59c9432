// The two-level bootstrap (hypotheses/stats/bootstrap.ts) against generate.py: an independent
// Python replica of the same generator and draws (quantiles by numpy.percentile) must agree to
// 1e-12, and, for one-level cases, scipy.stats.bootstrap (its own generator, 20,000 resamples)
// must agree up to Monte-Carlo error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quantileLinear, StatsInputError, twoLevelBootstrapCi, xorshift128 } from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface BootCase {
  name: string;
  input: { x: number[][]; level: number; replicates: number; seed: number };
  expected: { mean: number; ciLow: number; ciHigh: number };
  scipy?: { ciLow: number; ciHigh: number; standardError: number };
}
const fx = loadFixture<BootCase>('bootstrap');

describe('two-level bootstrap vs the Python replica (generate.py) and scipy.stats.bootstrap', () => {
  it(`has ${fx.count} cases from scipy ${fx.meta.scipy}`, () => assert.ok(fx.count >= 8));
  for (const c of fx.cases) {
    it(c.name, () => {
      const r = twoLevelBootstrapCi(c.input.x, { level: c.input.level, replicates: c.input.replicates, seed: c.input.seed });
      assertClose(r.mean, c.expected.mean, `${c.name} mean`, 1e-12);
      assertClose(r.ciLow, c.expected.ciLow, `${c.name} ciLow`, 1e-12);
      assertClose(r.ciHigh, c.expected.ciHigh, `${c.name} ciHigh`, 1e-12);
      if (c.scipy) {
        // Monte-Carlo agreement: each end within 3 bootstrap standard errors × 0.25 (B = 2000 vs 20,000)
        const tol = 0.75 * c.scipy.standardError;
        assert.ok(Math.abs(r.ciLow - c.scipy.ciLow) <= tol, `${c.name}: ciLow ${r.ciLow} vs scipy ${c.scipy.ciLow} (tol ${tol})`);
        assert.ok(Math.abs(r.ciHigh - c.scipy.ciHigh) <= tol, `${c.name}: ciHigh ${r.ciHigh} vs scipy ${c.scipy.ciHigh} (tol ${tol})`);
      }
    });
  }
});

describe('bootstrap building blocks', () => {
  it('xorshift128 is reproducible and uniform on [0, 1)', () => {
    const a = xorshift128(7), b = xorshift128(7);
    let s = 0;
    for (let i = 0; i < 10000; i++) { const x = a(); assert.equal(x, b()); assert.ok(x >= 0 && x < 1); s += x; }
    assert.ok(Math.abs(s / 10000 - 0.5) < 0.02);
  });
  it('quantileLinear matches numpy\'s default (linear) definition', () => {
    assert.equal(quantileLinear([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileLinear([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantileLinear([5], 0.9), 5);
  });
  it('identical seed rows give the one-level bootstrap over units; constant data a point interval', () => {
    const row = [0.1, 0.5, 0.9, 0.3, 0.7];
    const r = twoLevelBootstrapCi([row, row, row], { seed: 3 });
    assert.ok(r.ciLow < r.mean && r.mean < r.ciHigh);
    const c = twoLevelBootstrapCi([[0.58, 0.58], [0.58, 0.58]]);
    assert.deepEqual([c.ciLow, c.ciHigh], [0.58, 0.58]);
  });
  it('refuses ragged matrices and non-finite values, naming the argument', () => {
    assert.throws(() => twoLevelBootstrapCi([[1, 2], [1]]), (e: Error) => e instanceof StatsInputError && /row 1 has 1 units/.test(e.message));
    assert.throws(() => twoLevelBootstrapCi([[1, NaN]]), (e: Error) => e instanceof StatsInputError && /x\[0\]\[1\]/.test(e.message));
  });
});
