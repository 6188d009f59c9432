import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cohensDz,
  describeSample,
  describePairs,
  oneSampleTTest,
  pairedTTest,
  StatsInputError,
  type Alternative,
} from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface DescExpected {
  n: number;
  mean: number;
  sd: number;
  se: number;
  ciLower: number;
  ciUpper: number;
  min: number;
  max: number;
}
interface TCase {
  name: string;
  input: { variant: number[]; baseline: number[]; alternative: Alternative; mu: number; level: number };
  expected: {
    n: number;
    df: number;
    t: number;
    pValue: number;
    meanDifference: number;
    sd: number;
    se: number;
    ciLower: number;
    ciUpper: number;
    boundLower: number | null;
    boundUpper: number | null;
    dz: number;
    variant: DescExpected;
    baseline: DescExpected;
    difference: DescExpected;
  };
}

const fixture = loadFixture<TCase>('ttest');

function checkDescriptives(
  actual: ReturnType<typeof describeSample>,
  e: DescExpected,
  label: string,
): void {
  assert.equal(actual.n, e.n);
  assertClose(actual.mean, e.mean, `${label}.mean`);
  assertClose(actual.sd, e.sd, `${label}.sd`);
  assertClose(actual.se, e.se, `${label}.se`);
  assertClose(actual.ci?.lower, e.ciLower, `${label}.ci.lower`);
  assertClose(actual.ci?.upper, e.ciUpper, `${label}.ci.upper`);
  assert.equal(actual.min, e.min);
  assert.equal(actual.max, e.max);
}

describe('paired t-test agrees with scipy.stats.ttest_1samp / ttest_rel', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const { variant, baseline, alternative, mu, level } = c.input;
      const r = pairedTTest(variant, baseline, { alternative, mu, level });
      const e = c.expected;
      assert.equal(r.insufficient, false);
      if (r.insufficient) return;
      assert.equal(r.n, e.n);
      assert.equal(r.df, e.df);
      assertClose(r.t, e.t, 't');
      assertClose(r.pValue, e.pValue, 'p');
      assertClose(r.meanDifference, e.meanDifference, 'mean');
      assertClose(r.sd, e.sd, 'sd');
      assertClose(r.se, e.se, 'se');
      assertClose(r.ci.lower, e.ciLower, 'ci.lower');
      assertClose(r.ci.upper, e.ciUpper, 'ci.upper');
      assertClose(r.bound.lower, e.boundLower === null ? null : e.boundLower, 'bound.lower');
      assertClose(r.bound.upper, e.boundUpper === null ? null : e.boundUpper, 'bound.upper');
      if (alternative === 'greater') assert.equal(r.bound.upper, Infinity);
      if (alternative === 'less') assert.equal(r.bound.lower, -Infinity);
      assertClose(r.dz, e.dz, 'dz');
      const paired = describePairs(variant, baseline, level);
      checkDescriptives(paired.variant, e.variant, 'variant');
      checkDescriptives(paired.baseline, e.baseline, 'baseline');
      checkDescriptives(paired.difference, e.difference, 'difference');
      assertClose(paired.dz, e.dz, 'describePairs.dz');
    });
  }
});

describe('paired t-test edge cases', () => {
  it('n < 2 is insufficient with no p-value', () => {
    const one = pairedTTest([1.5], [1.0]);
    assert.equal(one.insufficient, true);
    assert.equal(one.pValue, null);
    assert.equal(one.t, null);
    assert.equal(one.meanDifference, 0.5);
    assert.match(one.insufficient ? one.reason : '', /at least 2 pairs/);
    const zero = pairedTTest([], []);
    assert.equal(zero.insufficient, true);
    assert.equal(zero.meanDifference, null);
    const d1 = describeSample([3]);
    assert.equal(d1.insufficient, true);
    assert.equal(d1.sd, null);
    assert.equal(d1.ci, null);
    assert.equal(d1.mean, 3);
    assert.equal(describeSample([]).mean, null);
  });

  it('zero variance, common difference above mu: t = +Inf, p = 0 / 1 by alternative', () => {
    const v = [1.25, 2.25, 3.25];
    const b = [1, 2, 3];
    const two = pairedTTest(v, b);
    const gt = pairedTTest(v, b, { alternative: 'greater' });
    const lt = pairedTTest(v, b, { alternative: 'less' });
    for (const r of [two, gt, lt]) {
      assert.equal(r.insufficient, false);
      assert.equal(r.zeroVariance, true);
      assert.equal(r.t, Infinity);
      assert.equal(r.sd, 0);
      assert.deepEqual(r.ci && [r.ci.lower, r.ci.upper], [0.25, 0.25]);
      assert.equal(r.dz, Infinity);
    }
    assert.equal(two.pValue, 0);
    assert.equal(gt.pValue, 0);
    assert.equal(lt.pValue, 1);
  });

  it('zero variance, common difference below mu: t = −Inf', () => {
    const r = oneSampleTTest([0.5, 0.5, 0.5, 0.5], { alternative: 'greater', mu: 1 });
    assert.equal(r.t, -Infinity);
    assert.equal(r.pValue, 1);
    assert.equal(oneSampleTTest([0.5, 0.5], { alternative: 'less', mu: 1 }).pValue, 0);
    assert.equal(oneSampleTTest([0.5, 0.5], { mu: 1 }).pValue, 0);
  });

  it('zero variance at mu: t = 0 and p = 1 for every alternative (documented convention)', () => {
    for (const alternative of ['two-sided', 'greater', 'less'] as const) {
      const r = pairedTTest([2, 3, 4], [2, 3, 4], { alternative });
      assert.equal(r.t, 0);
      assert.equal(r.pValue, 1);
      assert.equal(r.dz, 0);
    }
    const shifted = oneSampleTTest([-2, -2, -2], { alternative: 'greater', mu: -2 });
    assert.equal(shifted.pValue, 1);
    assert.equal(cohensDz([-2, -2, -2]), -Infinity);
  });

  it('rejects NaN and ±Infinity naming the argument and index', () => {
    assert.throws(
      () => pairedTTest([1, 2, NaN], [1, 2, 3]),
      (e: unknown) => e instanceof StatsInputError && e.argument === 'variant' && e.index === 2 && /variant\[2\]/.test(e.message),
    );
    assert.throws(
      () => pairedTTest([1, 2, 3], [1, Infinity, 3]),
      (e: unknown) => e instanceof StatsInputError && e.argument === 'baseline' && e.index === 1,
    );
    assert.throws(() => pairedTTest([1, 2], [1, 2, 3]), StatsInputError);
    assert.throws(() => describeSample([0, -Infinity]), /values\[1\]/);
    assert.throws(() => pairedTTest([1, 2], [3, 4], { mu: NaN }), /mu/);
    assert.throws(() => pairedTTest([1, 2], [3, 4], { level: 1 }), /level/);
    assert.throws(
      () => pairedTTest([1, 2], [3, 4], { alternative: 'bigger' as unknown as Alternative }),
      /alternative/,
    );
  });
});
