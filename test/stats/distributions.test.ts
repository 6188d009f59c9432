import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chiSquareCdf,
  chiSquareSf,
  noncentralTCdf,
  noncentralTSf,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTInverseSf,
  studentTQuantile,
  studentTSf,
} from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface DistCase {
  name: string;
  fn: 'studentT' | 'studentTQuantile' | 'normal' | 'normalQuantile' | 'chiSquare' | 'noncentralT';
  input: Record<string, number>;
  expected: Record<string, number | null>;
}

const fixture = loadFixture<DistCase>('distributions');

describe('distributions agree with scipy.stats', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const i = c.input;
      const e = c.expected;
      switch (c.fn) {
        case 'studentT':
          assertClose(studentTCdf(i.t!, i.df!), e.cdf!, 'cdf');
          assertClose(studentTSf(i.t!, i.df!), e.sf!, 'sf');
          break;
        case 'studentTQuantile':
          assertClose(studentTQuantile(i.p!, i.df!), e.quantile!, 'ppf');
          assertClose(studentTInverseSf(1 - i.p!, i.df!), e.quantile!, 'isf', 1e-7);
          break;
        case 'normal':
          assertClose(normalCdf(i.x!), e.cdf!, 'cdf', 1e-9, 1e-300);
          assertClose(normalSf(i.x!), e.sf!, 'sf', 1e-9, 1e-300);
          break;
        case 'normalQuantile':
          assertClose(normalQuantile(i.p!), e.quantile!, 'ppf');
          break;
        case 'chiSquare':
          assertClose(chiSquareCdf(i.x!, i.k!), e.cdf!, 'cdf');
          assertClose(chiSquareSf(i.x!, i.k!), e.sf!, 'sf');
          break;
        case 'noncentralT':
          // absolute floor: a tiny lower tail at t < 0 is computed as 1 − (near 1)
          assertClose(noncentralTCdf(i.t!, i.df!, i.delta!), e.cdf!, 'cdf', 1e-9, 1e-13);
          assertClose(noncentralTSf(i.t!, i.df!, i.delta!), e.sf!, 'sf', 1e-9, 1e-13);
          break;
      }
    });
  }

  it('has the expected fixture provenance', () => {
    assert.match(fixture.meta.scipy, /^\d+\.\d+/);
    assert.ok(fixture.cases.length >= 40);
  });

  it('noncentral t with delta = 0 is the central t', () => {
    assertClose(noncentralTCdf(1.7, 6, 0), studentTCdf(1.7, 6), 'cdf');
  });
});
