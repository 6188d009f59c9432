/** Property tests with a small seeded generator (deterministic: same cases on every run). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  benjaminiHochberg,
  holmBonferroni,
  nonInferiorityTest,
  pairedTTest,
  pairedTTestPower,
  pairedTTestSampleSize,
  wilcoxonSignedRank,
} from '../../hypotheses/stats/index.js';
import { assertClose, normalGenerator, seededRandom } from './helpers.js';

const uniform = seededRandom(0x5eed);
const normal = normalGenerator(uniform);
const int = (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1));

/** A family of p-values with some ties and some small values. */
function pFamily(): number[] {
  const m = int(1, 30);
  const p: number[] = [];
  for (let i = 0; i < m; i++) {
    const r = uniform();
    if (r < 0.2 && p.length > 0) p.push(p[int(0, p.length - 1)]!); // tie
    else if (r < 0.5) p.push(uniform() * 0.01);
    else p.push(uniform());
  }
  return p;
}

function pairs(n: number, shift: number): { v: number[]; b: number[] } {
  const b = Array.from({ length: n }, () => 10 + normal());
  const v = b.map((x) => x + shift + 0.5 * normal());
  return { v, b };
}

const ITER = 300;

describe('multiple comparisons: properties', () => {
  it('Holm never rejects more than unadjusted tests, and only among them', () => {
    for (let k = 0; k < ITER; k++) {
      const p = pFamily();
      const alpha = [0.01, 0.05, 0.1][k % 3]!;
      const r = holmBonferroni(p, alpha);
      r.reject.forEach((rej, i) => {
        if (rej) assert.ok(p[i]! <= alpha, `Holm rejected p=${p[i]} > alpha`);
      });
      assert.ok(r.reject.filter(Boolean).length <= p.filter((x) => x <= alpha).length);
    }
  });

  it('Holm adjusted ≥ raw, ≤ 1, and reject ⇔ adjusted ≤ alpha', () => {
    for (let k = 0; k < ITER; k++) {
      const p = pFamily();
      const r = holmBonferroni(p, 0.05);
      r.adjusted.forEach((a, i) => {
        assert.ok(a >= p[i]! && a <= 1);
        assert.equal(r.reject[i], a <= 0.05 + 1e-15 ? r.reject[i] : false);
      });
    }
  });

  it('BH adjusted values are monotone in the raw p order, ≤ Holm, and BH rejects ⊇ Holm rejects', () => {
    for (let k = 0; k < ITER; k++) {
      const p = pFamily();
      const bh = benjaminiHochberg(p, 0.05);
      const holm = holmBonferroni(p, 0.05);
      for (let i = 0; i < p.length; i++) {
        for (let j = 0; j < p.length; j++) {
          if (p[i]! <= p[j]!) assert.ok(bh.adjusted[i]! <= bh.adjusted[j]!, 'BH monotone');
          if (p[i] === p[j]) assert.equal(bh.adjusted[i], bh.adjusted[j], 'ties equal');
        }
        assert.ok(bh.adjusted[i]! >= p[i]! && bh.adjusted[i]! <= holm.adjusted[i]! + 1e-15);
        if (holm.reject[i]) assert.ok(bh.reject[i]);
      }
    }
  });
});

describe('paired tests: symmetry', () => {
  it('swapping variant and baseline flips t and maps greater ↔ less', () => {
    for (let k = 0; k < ITER; k++) {
      const { v, b } = pairs(int(2, 40), normal() * 0.5);
      const two = pairedTTest(v, b);
      const twoSwapped = pairedTTest(b, v);
      const gt = pairedTTest(v, b, { alternative: 'greater' });
      const ltSwapped = pairedTTest(b, v, { alternative: 'less' });
      const lt = pairedTTest(v, b, { alternative: 'less' });
      const gtSwapped = pairedTTest(b, v, { alternative: 'greater' });
      if (two.insufficient || twoSwapped.insufficient) assert.fail('unexpected insufficient');
      assertClose(twoSwapped.t, -two.t!, 't', 1e-12);
      assertClose(twoSwapped.pValue, two.pValue!, 'two-sided p', 1e-12);
      assertClose(ltSwapped.pValue, gt.pValue!, 'greater ↔ less', 1e-12, 1e-15);
      assertClose(gtSwapped.pValue, lt.pValue!, 'less ↔ greater', 1e-12, 1e-15);
      assertClose(gt.pValue! + lt.pValue!, 1, 'one-sided p-values sum to 1', 1e-12);
    }
  });

  it('Wilcoxon: swapping maps greater ↔ less and keeps two-sided', () => {
    for (let k = 0; k < ITER; k++) {
      const n = int(1, 30);
      const { v, b } = pairs(n, normal() * 0.3);
      // rounding creates ties and zeros now and then
      const vr = v.map((x) => Math.round(x * 4) / 4);
      const br = b.map((x) => Math.round(x * 4) / 4);
      for (const zeroMethod of ['wilcox', 'pratt', 'zsplit'] as const) {
        for (const method of ['auto', 'approx', 'exact', 'permutation'] as const) {
          // scipy's 'exact' with Pratt zeros is not symmetric (documented in wilcoxon.ts)
          if (zeroMethod === 'pratt' && method === 'exact' && vr.some((x, i) => x === br[i])) continue;
          const gt = wilcoxonSignedRank(vr, br, { alternative: 'greater', zeroMethod, method });
          const ltS = wilcoxonSignedRank(br, vr, { alternative: 'less', zeroMethod, method });
          const two = wilcoxonSignedRank(vr, br, { zeroMethod, method });
          const twoS = wilcoxonSignedRank(br, vr, { zeroMethod, method });
          assertClose(ltS.pValue, gt.pValue, `${zeroMethod}/${method} greater ↔ less`, 1e-12, 1e-15);
          assertClose(twoS.pValue, two.pValue, `${zeroMethod}/${method} two-sided`, 1e-12, 1e-15);
          assert.ok(two.pValue >= 0 && two.pValue <= 1);
          if (two.minimumAchievablePValue !== null) assert.ok(two.pValue >= two.minimumAchievablePValue - 1e-15);
        }
      }
    }
  });

  it('non-inferiority: significant ⇔ the one-sided bound clears the threshold', () => {
    for (let k = 0; k < ITER; k++) {
      const { v, b } = pairs(int(3, 20), normal() * 0.3);
      const betterDirection = k % 2 ? 'higher' : 'lower';
      const r = nonInferiorityTest({ variant: v, baseline: b, margin: 0.3, marginType: 'absolute', betterDirection });
      const clears = betterDirection === 'higher' ? r.confidenceBound! >= r.threshold : r.confidenceBound! <= r.threshold;
      if (Math.abs(r.confidenceBound! - r.threshold) > 1e-9) assert.equal(r.significant, clears);
    }
  });
});

describe('sample size: properties', () => {
  it('n reaches the target power and n − 1 does not', () => {
    for (let k = 0; k < 60; k++) {
      const alternative = (['two-sided', 'greater', 'less'] as const)[k % 3]!;
      const magnitude = 0.1 + uniform() * 2;
      const effect = alternative === 'less' ? -magnitude : magnitude;
      const sd = 0.2 + uniform() * 2;
      const r = pairedTTestSampleSize({ effect, sd, alternative });
      assert.ok(r.feasible && r.n !== null);
      assert.ok(pairedTTestPower(effect / sd, r.n!, 0.05, alternative) >= 0.8);
      if (r.n! > 2) assert.ok(pairedTTestPower(effect / sd, r.n! - 1, 0.05, alternative) < 0.8);
    }
  });
});
