import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjustPValues,
  benjaminiHochberg,
  holmBonferroni,
  StatsInputError,
  type MultipleComparisonMethod,
} from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface MCase {
  name: string;
  input: { pValues: number[]; alpha: number; method: MultipleComparisonMethod };
  expected: { adjusted: number[]; reject: boolean[] };
}

const fixture = loadFixture<MCase>('multipletests');

describe('Holm and BH agree with statsmodels multipletests', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const r = adjustPValues(c.input.pValues, c.input.method, c.input.alpha);
      assert.equal(r.m, c.input.pValues.length);
      c.expected.adjusted.forEach((e, i) => assertClose(r.adjusted[i], e, `adjusted[${i}]`, 1e-12, 1e-15));
      assert.deepEqual(r.reject, c.expected.reject);
    });
  }
});

describe('multiple comparison edge cases', () => {
  it('a family of size 1 is unchanged', () => {
    for (const fn of [holmBonferroni, benjaminiHochberg]) {
      const r = fn([0.03]);
      assert.deepEqual(r.adjusted, [0.03]);
      assert.deepEqual(r.reject, [true]);
      assert.deepEqual(fn([0.07]).reject, [false]);
    }
  });
  it('an empty family gives empty results', () => {
    assert.deepEqual(holmBonferroni([]).adjusted, []);
    assert.deepEqual(benjaminiHochberg([]).reject, []);
  });
  it('rejects p-values outside [0, 1] and NaN, naming the index', () => {
    assert.throws(
      () => holmBonferroni([0.1, 1.2]),
      (e: unknown) => e instanceof StatsInputError && e.argument === 'pValues' && e.index === 1,
    );
    assert.throws(() => benjaminiHochberg([NaN]), /pValues\[0\]/);
  });
});
