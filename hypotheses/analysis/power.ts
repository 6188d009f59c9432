/**
 * Seeds needed for 80% power, fast path. The statistics library's `pairedTTestSampleSize` solves
 * power(n) = target to 1e-12 by bisection (hundreds of noncentral-t evaluations), which dominated
 * the analysis of a large sweep. Only the integer n is reported here, so this searches integers
 * directly with the library's own `pairedTTestPower`, starting from the normal-approximation
 * estimate n₀ = ((z₁₋α′ + z_power) / |d|)² and stepping (power is increasing in n): usually 2–4
 * power evaluations. Same answer as `pairedTTestSampleSize(...).n` (checked in
 * test/analysis/engine.test.ts); degenerate cases are delegated to it.
 */
import { normalQuantile, pairedTTestPower, pairedTTestSampleSize, type Alternative } from '../stats/index.ts';

export function seedsForPower(effect: number, sd: number, alpha: number, alternative: Alternative, power = 0.8): { n: number | null; note?: string } {
  const wrongSign = effect === 0 || (alternative === 'greater' && effect < 0) || (alternative === 'less' && effect > 0);
  if (wrongSign || sd === 0 || !Number.isFinite(effect / sd)) {
    const r = pairedTTestSampleSize({ effect, sd, alpha, power, alternative });
    return r.note ? { n: r.n, note: r.note } : { n: r.n };
  }
  const d = effect / sd;
  const a = alternative === 'two-sided' ? alpha / 2 : alpha;
  const n0 = Math.ceil(((normalQuantile(1 - a) + normalQuantile(power)) / Math.abs(d)) ** 2);
  if (!(n0 < 1e7)) {
    const r = pairedTTestSampleSize({ effect, sd, alpha, power, alternative });
    return r.note ? { n: r.n, note: r.note } : { n: r.n };
  }
  let n = Math.max(2, n0);
  if (pairedTTestPower(d, n, alpha, alternative) >= power) {
    while (n > 2 && pairedTTestPower(d, n - 1, alpha, alternative) >= power) n--;
  } else {
    do n++; while (pairedTTestPower(d, n, alpha, alternative) < power);
  }
  return { n };
}
