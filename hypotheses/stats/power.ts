/**
 * Power and sample size of the paired (one-sample) t-test, exact via the noncentral t
 * distribution. Matches `statsmodels.stats.power.TTestPower().power(...)` and
 * `.solve_power(effect_size, nobs=None, alpha, power, alternative)`, with alternative
 * 'greater' = statsmodels 'larger' and 'less' = 'smaller'.
 *
 * power(n) = P(T > t_{1−α'}(n−1)) + P(T < t_{α'}(n−1)) (the terms the alternative uses), where T is
 * noncentral t with n − 1 degrees of freedom and noncentrality d·√n, d the standardized effect
 * (effect / sd) and α' = α/2 for a two-sided test. n is treated as continuous while solving; the
 * reported sample size is the solution rounded up to an integer (at least 2).
 */
import { assertFiniteNumber, assertOneOf, assertOpenUnitInterval, StatsInputError } from './errors.js';
import { studentTInverseSf, studentTQuantile } from './distributions.js';
import { noncentralTCdf, noncentralTSf } from './noncentralT.js';
import { ALTERNATIVES, type Alternative } from './types.js';

/** Power of a one-sample/paired t-test with standardized effect `effectSize` and `n` pairs (n > 1, may be fractional). */
export function pairedTTestPower(
  effectSize: number,
  n: number,
  alpha = 0.05,
  alternative: Alternative = 'two-sided',
): number {
  assertFiniteNumber('effectSize', effectSize);
  assertFiniteNumber('n', n);
  if (!(n > 1)) throw new StatsInputError('n', `power needs more than 1 observation, got ${n}`);
  assertOpenUnitInterval('alpha', alpha);
  assertOneOf('alternative', alternative, ALTERNATIVES);
  return powerUnchecked(effectSize, n, alpha, alternative);
}

function powerUnchecked(d: number, n: number, alpha: number, alternative: Alternative): number {
  const df = n - 1;
  const a = alternative === 'two-sided' ? alpha / 2 : alpha;
  const nc = d * Math.sqrt(n);
  let power = 0;
  if (alternative !== 'less') power += noncentralTSf(studentTInverseSf(a, df), df, nc);
  if (alternative !== 'greater') power += noncentralTCdf(studentTQuantile(a, df), df, nc);
  return power;
}

/** Input of {@link pairedTTestSampleSize}. */
export interface SampleSizeInput {
  /**
   * Target effect on the scale of the differences, i.e. the true mean(d) − mu the test should
   * detect (for non-inferiority: expected difference + margin). Sign must match the alternative
   * ('greater': positive, 'less': negative; either for 'two-sided').
   */
  readonly effect: number;
  /** Standard deviation of the differences (observed sd, n − 1). */
  readonly sd: number;
  /** Significance level, default 0.05. */
  readonly alpha?: number;
  /** Target power, default 0.8. */
  readonly power?: number;
  /** Default 'two-sided'. */
  readonly alternative?: Alternative;
}

/** Result of {@link pairedTTestSampleSize}. */
export interface SampleSizeResult {
  /** False when no sample size reaches the power (effect 0, or its sign opposes the alternative). */
  readonly feasible: boolean;
  /** Smallest integer number of pairs (≥ 2) with power ≥ target; null when infeasible. */
  readonly n: number | null;
  /** Continuous solution of power(n) = target (statsmodels' `solve_power` value); null when infeasible or when n = 2 already suffices. */
  readonly nExact: number | null;
  /** Standardized effect effect / sd (±Infinity when sd = 0). */
  readonly effectSize: number;
  /** Power at `n`; null when infeasible. */
  readonly achievedPower: number | null;
  readonly alpha: number;
  readonly targetPower: number;
  readonly alternative: Alternative;
  /** Why infeasible, or a note on a degenerate case; absent otherwise. */
  readonly note?: string;
}

/**
 * Number of pairs that gives `power` (default 0.8) to a paired t-test at level `alpha` when the
 * true mean difference is `effect` and the sd of differences is `sd`.
 * Zero sd: any n ≥ 2 has power 1 for a non-zero effect, so n = 2.
 */
export function pairedTTestSampleSize(input: SampleSizeInput): SampleSizeResult {
  const { effect, sd } = input;
  const alpha = input.alpha ?? 0.05;
  const targetPower = input.power ?? 0.8;
  const alternative = input.alternative ?? 'two-sided';
  assertFiniteNumber('effect', effect);
  assertFiniteNumber('sd', sd);
  if (sd < 0) throw new StatsInputError('sd', `standard deviation must be ≥ 0, got ${sd}`);
  assertOpenUnitInterval('alpha', alpha);
  assertOpenUnitInterval('power', targetPower);
  assertOneOf('alternative', alternative, ALTERNATIVES);
  const base = { alpha, targetPower, alternative };
  const wrongSign =
    effect === 0 || (alternative === 'greater' && effect < 0) || (alternative === 'less' && effect > 0);
  if (wrongSign) {
    const effectSize = sd === 0 ? (effect === 0 ? 0 : Math.sign(effect) * Infinity) : effect / sd;
    return {
      ...base,
      feasible: false,
      n: null,
      nExact: null,
      effectSize,
      achievedPower: null,
      note:
        effect === 0
          ? 'an effect of 0 cannot be detected with any number of pairs'
          : `the effect (${effect}) points away from the alternative '${alternative}': power stays below alpha for every n`,
    };
  }
  if (sd === 0) {
    return {
      ...base,
      feasible: true,
      n: 2,
      nExact: null,
      effectSize: Math.sign(effect) * Infinity,
      achievedPower: 1,
      note: 'zero standard deviation: any 2 pairs detect a non-zero effect',
    };
  }
  const d = effect / sd;
  const f = (n: number) => powerUnchecked(d, n, alpha, alternative) - targetPower;
  const f2 = f(2);
  if (f2 >= 0) {
    return { ...base, feasible: true, n: 2, nExact: null, effectSize: d, achievedPower: f2 + targetPower };
  }
  // Bracket: expand the upper end until power ≥ target.
  let lo = 2;
  let hi = 4;
  while (f(hi) < 0) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) {
      return {
        ...base,
        feasible: false,
        n: null,
        nExact: null,
        effectSize: d,
        achievedPower: null,
        note: 'required sample size exceeds 1e12 pairs',
      };
    }
  }
  // Bisection to full precision (power is increasing in n for an effect matching the alternative).
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  const nExact = 0.5 * (lo + hi);
  let n = Math.max(2, Math.ceil(nExact - 1e-9));
  // Guard the rounding: make sure the integer really reaches the target.
  while (powerUnchecked(d, n, alpha, alternative) < targetPower) n++;
  return {
    ...base,
    feasible: true,
    n,
    nExact,
    effectSize: d,
    achievedPower: powerUnchecked(d, n, alpha, alternative),
  };
}
