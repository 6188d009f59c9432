import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { friedmanTest, StatsInputError } from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface FCase {
  name: string;
  input: { data: number[][] };
  expected: { statistic: number; pValue: number; df: number };
}

const fixture = loadFixture<FCase>('friedman');

describe('Friedman test agrees with scipy.stats.friedmanchisquare', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const r = friedmanTest(c.input.data);
      assert.equal(r.insufficient, false);
      if (r.insufficient) return;
      assertClose(r.statistic, c.expected.statistic, 'statistic');
      assertClose(r.pValue, c.expected.pValue, 'p');
      assert.equal(r.df, c.expected.df);
      const k = c.input.data[0]!.length;
      const sumMeanRanks = r.meanRanks.reduce((a, b) => a + b, 0);
      assertClose(sumMeanRanks, (k * (k + 1)) / 2, 'mean ranks sum');
    });
  }
});

describe('Friedman edge cases', () => {
  it('fewer than 3 treatments or 2 blocks is insufficient', () => {
    const two = friedmanTest([
      [1, 2],
      [2, 3],
    ]);
    assert.equal(two.insufficient, true);
    assert.equal(two.pValue, null);
    assert.equal(friedmanTest([[1, 2, 3]]).insufficient, true);
    assert.equal(friedmanTest([]).insufficient, true);
  });
  it('every block fully tied: statistic 0, p = 1', () => {
    const r = friedmanTest([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    assert.equal(r.insufficient, false);
    if (r.insufficient) return;
    assert.equal(r.allTied, true);
    assert.equal(r.statistic, 0);
    assert.equal(r.pValue, 1);
  });
  it('rejects ragged rows and NaN with their position', () => {
    assert.throws(() => friedmanTest([[1, 2, 3], [1, 2]]), (e: unknown) => e instanceof StatsInputError && e.index === 1);
    assert.throws(() => friedmanTest([[1, 2, 3], [1, NaN, 2]]), /data\[1\]\[1\]/);
  });
});
