import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  StatsInputError,
  wilcoxonExactDistribution,
  wilcoxonSignedRank,
  type Alternative,
  type WilcoxonMethod,
  type WilcoxonZeroMethod,
} from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface WCase {
  name: string;
  input: {
    x: number[];
    y: number[] | null;
    zeroMethod: WilcoxonZeroMethod;
    alternative: Alternative;
    method: WilcoxonMethod;
    correction: boolean;
  };
  expected: { statistic: number; pValue: number; z?: number; resolvedMethod?: string };
}

const fixture = loadFixture<WCase>('wilcoxon');

describe('Wilcoxon signed-rank agrees with scipy.stats.wilcoxon', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const i = c.input;
      const r = wilcoxonSignedRank(i.x, i.y, {
        zeroMethod: i.zeroMethod,
        alternative: i.alternative,
        method: i.method,
        correction: i.correction,
      });
      assertClose(r.statistic, c.expected.statistic, 'statistic');
      assertClose(r.pValue, c.expected.pValue, 'p');
      if (c.expected.z !== undefined) assertClose(r.z, c.expected.z, 'z');
      if (c.expected.resolvedMethod !== undefined) assert.equal(r.method, c.expected.resolvedMethod);
    });
  }
});

describe('Wilcoxon edge cases and documented facts', () => {
  it('n = 3: the exact two-sided p can never go below 0.25', () => {
    const r = wilcoxonSignedRank([3, 2, 1]);
    assert.equal(r.method, 'exact');
    assert.equal(r.pValue, 0.25);
    assert.equal(r.minimumAchievablePValue, 0.25);
    // every sign pattern of 3 distinct magnitudes
    for (let mask = 0; mask < 8; mask++) {
      const d = [1, 2, 3].map((v, k) => ((mask >> k) & 1 ? v : -v));
      assert.ok(wilcoxonSignedRank(d).pValue >= 0.25);
    }
    assert.equal(wilcoxonSignedRank([3, 2, 1], null, { alternative: 'greater' }).minimumAchievablePValue, 0.125);
  });

  it('all differences zero: p = 1, allZero, for every method and zero method', () => {
    for (const zeroMethod of ['wilcox', 'pratt', 'zsplit'] as const) {
      for (const method of ['auto', 'exact', 'approx', 'permutation'] as const) {
        const r = wilcoxonSignedRank([1, 2, 3, 4], [1, 2, 3, 4], { zeroMethod, method });
        assert.equal(r.allZero, true);
        assert.equal(r.pValue, 1);
        assert.equal(r.rPlus, r.rMinus); // 0, or half the zero ranks each for 'zsplit'
        assert.equal(r.nZero, 4);
      }
    }
  });

  it('exact null distribution sums to 1 and is symmetric', () => {
    for (const m of [0, 1, 5, 12, 25]) {
      const pmf = wilcoxonExactDistribution(m);
      assert.equal(pmf.length, (m * (m + 1)) / 2 + 1);
      let s = 0;
      for (const p of pmf) s += p;
      assertClose(s, 1, `sum m=${m}`, 1e-14);
      for (let r = 0; r < pmf.length; r++) assert.equal(pmf[r], pmf[pmf.length - 1 - r]);
    }
  });

  it('permutation p-values equal exact ones when there are no ties or zeros', () => {
    const d = [0.3, -1.2, 2.2, 0.8, 1.9, -0.1, 2.7, 1.4];
    for (const alternative of ['two-sided', 'greater', 'less'] as const) {
      const e = wilcoxonSignedRank(d, null, { method: 'exact', alternative });
      const p = wilcoxonSignedRank(d, null, { method: 'permutation', alternative });
      assertClose(p.pValue, e.pValue, alternative, 1e-15);
    }
  });

  it("'auto' follows scipy 1.17.1: exact ≤ 50 without ties/zeros, approx above", () => {
    const d50 = Array.from({ length: 50 }, (_, i) => (i % 2 ? 1 : -1) * (i + 1) * 0.37 + 0.01 * i);
    assert.equal(wilcoxonSignedRank(d50).method, 'exact');
    assert.equal(wilcoxonSignedRank([...d50, 100]).method, 'approx');
    assert.equal(wilcoxonSignedRank([1, 1, 2, 3]).method, 'permutation');
    assert.equal(wilcoxonSignedRank([0, 1, 2, 3]).method, 'permutation');
    assert.equal(wilcoxonSignedRank([...Array(14).keys()]).method, 'approx');
    assert.equal(wilcoxonSignedRank([1, 2], null, { method: 'asymptotic' }).method, 'approx');
  });

  it('rejects bad input', () => {
    assert.throws(
      () => wilcoxonSignedRank([1, 2, 3], [1, NaN, 3]),
      (e: unknown) => e instanceof StatsInputError && e.argument === 'y' && e.index === 1,
    );
    assert.throws(() => wilcoxonSignedRank([]), StatsInputError);
    assert.throws(() => wilcoxonSignedRank([1, 2], [1]), StatsInputError);
    assert.throws(
      () => wilcoxonSignedRank([1, 2], null, { zeroMethod: 'drop' as unknown as WilcoxonZeroMethod }),
      /zeroMethod/,
    );
  });
});
