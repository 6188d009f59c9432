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

/** Replicates of the power simulation; the seed is fixed, so a sweep's report never changes. */
const WILCOXON_REPLICATES = 4000;
/** Beyond this the simulation costs too much; the large-sample rule takes over. */
const WILCOXON_SIM_MAX_N = 200;

/**
 * Largest rank sum t whose exact two-sided signed-rank p = 2·P(T ≤ t) is ≤ α, for n untied,
 * non-zero pairs (T = min(R+, R−)); −1 when no t qualifies (n ≤ 5 at α = 0.05: the floor 2/2ⁿ).
 */
export function wilcoxonCriticalValue(n: number, alpha: number): number {
  const key = `${n}|${alpha}`;
  const hit = criticalValues.get(key);
  if (hit !== undefined) return hit;
  // pmf of R+ under H0 by dynamic programming over ranks: each rank joins R+ with probability ½
  let pmf = new Float64Array([1]);
  for (let r = 1; r <= n; r++) {
    const next = new Float64Array(pmf.length + r);
    for (let s = 0; s < pmf.length; s++) { next[s] += pmf[s] / 2; next[s + r] += pmf[s] / 2; }
    pmf = next;
  }
  let cdf = 0;
  let t = -1;
  for (let s = 0; s < pmf.length; s++) {
    cdf += pmf[s];
    if (2 * cdf <= alpha * (1 + 1e-12)) t = s; else break;
  }
  criticalValues.set(key, t);
  return t;
}
const criticalValues = new Map<string, number>();

/** Standard normal draws, fixed seed (mulberry32 + Box–Muller): the same draws for every n and effect. */
function normalDraws(count: number, seed = 0x5eed): Float64Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

let draws: Float64Array | undefined;

/**
 * Power of the exact two-sided Wilcoxon signed-rank test at level α with n pairs whose
 * differences are normal with mean d·σ and sd σ, by simulation (WILCOXON_REPLICATES fixed draws).
 */
export function wilcoxonPower(d: number, n: number, alpha: number): number {
  const c = wilcoxonCriticalValue(n, alpha);
  if (c < 0) return 0;
  draws ??= normalDraws(WILCOXON_REPLICATES * WILCOXON_SIM_MAX_N);
  const x = new Float64Array(n);
  const sorted = new Float64Array(n);
  const total = (n * (n + 1)) / 2;
  let rejections = 0;
  for (let r = 0; r < WILCOXON_REPLICATES; r++) {
    for (let i = 0; i < n; i++) { x[i] = draws[r * WILCOXON_SIM_MAX_N + i] + d; sorted[i] = Math.abs(x[i]); }
    sorted.sort();
    // R+: the ranks of |x| among the positive differences (continuous draws: no ties)
    let rPlus = 0;
    for (let i = 0; i < n; i++) {
      if (x[i] <= 0) continue;
      let lo = 0;
      let hi = n;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < x[i]) lo = mid + 1; else hi = mid; }
      rPlus += lo + 1;
    }
    if (Math.min(rPlus, total - rPlus) <= c) rejections++;
  }
  return rejections / WILCOXON_REPLICATES;
}

/**
 * Seeds for 80% power of the exact two-sided Wilcoxon signed-rank test (what the report's
 * Wilcoxon rows test), if the differences were normal with the observed mean and sd. Never below
 * the smallest n at which the exact test can reach α (6 at α = 0.05). Starts from the paired
 * t-test's n divided by the test's asymptotic relative efficiency 3/π and steps by simulated
 * power; past WILCOXON_SIM_MAX_N seeds it reports that large-sample figure.
 */
export function seedsForWilcoxonPower(effect: number, sd: number, alpha: number, power = 0.8): { n: number | null; note?: string } {
  const t = seedsForPower(effect, sd, alpha, 'two-sided', power);
  if (t.n === null || !Number.isFinite(t.n) || sd === 0 || effect === 0) return t;
  let minN = 1;
  while (wilcoxonCriticalValue(minN, alpha) < 0) minN++;
  const d = Math.abs(effect / sd);
  const start = Math.max(minN, Math.ceil(t.n / (3 / Math.PI)));
  if (start > WILCOXON_SIM_MAX_N) return { n: start, note: 'Wilcoxon seeds from the paired t-test figure ÷ 3/π (large-sample efficiency)' };
  let n = start;
  if (wilcoxonPower(d, n, alpha) >= power) {
    while (n > minN && wilcoxonPower(d, n - 1, alpha) >= power) n--;
  } else {
    do n++; while (n <= WILCOXON_SIM_MAX_N && wilcoxonPower(d, n, alpha) < power);
    if (n > WILCOXON_SIM_MAX_N) return { n, note: 'more than the simulated range of Wilcoxon seeds' };
  }
  return { n };
}
