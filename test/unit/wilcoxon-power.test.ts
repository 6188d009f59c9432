// "Seeds for 80% power" on Wilcoxon rows is the exact Wilcoxon signed-rank test's figure: checked
// against an independent simulation that runs the statistics library's wilcoxonSignedRank (itself
// checked against scipy) on fresh normal draws, and against the test's small-sample floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedsForPower, seedsForWilcoxonPower, wilcoxonCriticalValue } from '../../hypotheses/analysis/power.ts';
import { wilcoxonSignedRank } from '../../hypotheses/stats/index.ts';

/** xorshift32 + Box–Muller: a generator unrelated to the one power.ts uses. */
function normals(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function simulatedPower(d: number, n: number, reps: number, seed: number): number {
  const z = normals(seed);
  let hits = 0;
  for (let r = 0; r < reps; r++) {
    const x = Array.from({ length: n }, () => z() + d);
    if (wilcoxonSignedRank(x, null, { alternative: 'two-sided', method: 'exact' }).pValue <= 0.05) hits++;
  }
  return hits / reps;
}

test('exact two-sided critical values match the published table (α = 0.05)', () => {
  // n ≤ 5 cannot reach 0.05 at all: the p floor is 2/2ⁿ
  assert.deepEqual([3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20].map((n) => wilcoxonCriticalValue(n, 0.05)), [-1, -1, -1, 0, 2, 3, 5, 8, 13, 25, 52]);
});

test('never fewer than 6 seeds, however large the effect (the t-test says 2 or 3)', () => {
  for (const effect of [2, 5, 50]) {
    assert.ok((seedsForPower(effect, 1, 0.05, 'two-sided').n ?? 0) < 6);
    assert.equal(seedsForWilcoxonPower(effect, 1, 0.05).n, 6, `effect ${effect}`);
  }
});

test('the figure is where an independent simulation of the exact test crosses 80% power', () => {
  const reps = 3000;
  const se = Math.sqrt(0.8 * 0.2 / reps); // ≈ 0.0073
  for (const d of [1.2, 0.8, 0.5]) {
    const n = seedsForWilcoxonPower(d, 1, 0.05).n!;
    const at = simulatedPower(d, n, reps, 12345 + n);
    const below = simulatedPower(d, n - 1, reps, 999 + n);
    assert.ok(at >= 0.8 - 3 * se, `d = ${d}: power at n = ${n} is ${at}`);
    assert.ok(below < 0.8 + 3 * se, `d = ${d}: power at n − 1 = ${n - 1} is ${below}`);
    // slightly more seeds than the paired t-test (asymptotic efficiency 3/π)
    assert.ok(n >= seedsForPower(d, 1, 0.05, 'two-sided').n!, `d = ${d}`);
  }
});
