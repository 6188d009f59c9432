import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  nonInferiorityTest,
  StatsInputError,
  superiorityTest,
  type BetterDirection,
} from '../../hypotheses/stats/index.js';
import { assertClose, loadFixture } from './helpers.js';

interface ClaimCase {
  name: string;
  input: {
    kind: 'non-inferiority' | 'superiority';
    variant: number[];
    baseline: number[];
    margin?: number;
    marginType?: 'absolute' | 'relative';
    betterDirection: BetterDirection;
    scale?: 'absolute' | 'log';
    alpha: number;
  };
  expected: { t: number; pValue: number; threshold: number; confidenceBound: number; alternative: string };
}

const fixture = loadFixture<ClaimCase>('claims');

describe('non-inferiority and superiority agree with one-sided scipy t-tests', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const i = c.input;
      const r =
        i.kind === 'non-inferiority'
          ? nonInferiorityTest({
              variant: i.variant,
              baseline: i.baseline,
              margin: i.margin!,
              marginType: i.marginType!,
              betterDirection: i.betterDirection,
              alpha: i.alpha,
            })
          : superiorityTest({
              variant: i.variant,
              baseline: i.baseline,
              betterDirection: i.betterDirection,
              scale: i.scale!,
              alpha: i.alpha,
            });
      assert.equal(r.alternative, c.expected.alternative);
      assertClose(r.threshold, c.expected.threshold, 'threshold', 1e-15, 0);
      assertClose(r.test.t, c.expected.t, 't');
      assertClose(r.pValue, c.expected.pValue, 'p');
      assertClose(r.confidenceBound, c.expected.confidenceBound, 'bound');
      assert.equal(r.significant, c.expected.pValue <= i.alpha);
      if (r.scale === 'log') assertClose(r.ratioBound, Math.exp(c.expected.confidenceBound), 'ratioBound');
    });
  }
});

describe('claim tests state their hypotheses in words', () => {
  const ppl = { variant: [10.2, 11.1, 9.9], baseline: [10.0, 10.9, 9.8] };
  it('relative margin, lower is better (H2 perplexity)', () => {
    const r = nonInferiorityTest({
      ...ppl,
      margin: 0.05,
      marginType: 'relative',
      betterDirection: 'lower',
      labels: { metric: 'ppl', variant: 'bin', baseline: 'int4' },
    });
    assert.equal(r.h0, 'H0: mean(log ppl_bin − log ppl_int4) ≥ log 1.05');
    assert.equal(r.h1, 'H1: mean(log ppl_bin − log ppl_int4) < log 1.05');
    assert.equal(r.scale, 'log');
    assert.equal(r.threshold, Math.log1p(0.05));
    assert.ok(r.ratioBound !== null && r.ratioBound > 1);
  });
  it('relative margin, higher is better', () => {
    const r = nonInferiorityTest({ ...ppl, margin: 0.01, marginType: 'relative', betterDirection: 'higher' });
    assert.equal(r.h0, 'H0: mean(log metric_variant − log metric_baseline) ≤ −log 1.01');
    assert.equal(r.threshold, -Math.log1p(0.01));
  });
  it('absolute margin (H3 accuracy, 1 point)', () => {
    const r = nonInferiorityTest({
      variant: [80, 81, 79.5],
      baseline: [80.5, 81.2, 80],
      margin: 1,
      marginType: 'absolute',
      betterDirection: 'higher',
      labels: { metric: 'acc', variant: 'bin-blocks', baseline: 'int4' },
    });
    assert.equal(r.h0, 'H0: mean(acc_bin-blocks − acc_int4) ≤ −1');
    assert.equal(r.h1, 'H1: mean(acc_bin-blocks − acc_int4) > −1');
    assert.equal(r.test.mu, -1);
    assert.equal(r.test.alternative, 'greater');
  });
  it('superiority, lower is better (H5 joules/token)', () => {
    const r = superiorityTest({
      variant: [1.0, 1.1, 0.9],
      baseline: [1.3, 1.35, 1.2],
      betterDirection: 'lower',
      labels: { metric: 'joules_per_token', variant: 'bin-kv', baseline: 'int4' },
    });
    assert.equal(r.h0, 'H0: mean(joules_per_token_bin-kv − joules_per_token_int4) ≥ 0');
    assert.equal(r.alternative, 'less');
    assert.equal(r.significant, true);
  });
  it('n < 2 is insufficient, not significant', () => {
    const r = superiorityTest({ variant: [1], baseline: [2], betterDirection: 'higher' });
    assert.equal(r.insufficient, true);
    assert.equal(r.pValue, null);
    assert.equal(r.significant, null);
  });
  it('log scale rejects non-positive values, naming argument and index', () => {
    assert.throws(
      () =>
        nonInferiorityTest({
          variant: [1, 2],
          baseline: [1, 0],
          margin: 0.05,
          marginType: 'relative',
          betterDirection: 'lower',
        }),
      (e: unknown) => e instanceof StatsInputError && e.argument === 'baseline' && e.index === 1,
    );
    assert.throws(
      () =>
        nonInferiorityTest({ variant: [1, 2], baseline: [1, 2], margin: -1, marginType: 'absolute', betterDirection: 'lower' }),
      /margin/,
    );
  });
});
