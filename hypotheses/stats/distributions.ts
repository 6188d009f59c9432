/**
 * Probability distributions used by the tests: standard normal, Student's t, chi-square.
 * Each function is pure and accurate to ~1e-14 relative in both tails (tails are computed
 * directly, never as 1 − something close to 1). Quantiles are refined by Newton/Halley steps on
 * the accurate CDFs.
 */
import { erfc, incompleteBetaPair, incompleteGammaPair, logBeta } from './specialFunctions.js';

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** Standard normal survival function 1 − Φ(x), accurate in the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * Math.SQRT1_2);
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1 (±Infinity at 0 and 1). Starts from Abramowitz &
 * Stegun 26.2.23 and refines with Halley steps on the lower tail.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p > 0.5) return -lowerNormalQuantile(1 - p);
  return lowerNormalQuantile(p);
}

/** Φ⁻¹(p) for 0 < p < 0.5 (negative result). */
function lowerNormalQuantile(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  let x =
    -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 50; i++) {
    const u = (normalCdf(x) - p) / normalPdf(x);
    const step = u / (1 + (x * u) / 2);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

/** Student's t density with `df` degrees of freedom (df > 0, not necessarily an integer). */
export function studentTPdf(t: number, df: number): number {
  if (df === Infinity) return normalPdf(t);
  return Math.exp(-((df + 1) / 2) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - logBeta(df / 2, 0.5));
}

/** One tail of the t distribution: P(T > |t|). */
function studentTTail(t: number, df: number): number {
  if (df === Infinity) return normalSf(Math.abs(t));
  const t2 = t * t;
  // P(T > |t|) = I_x(df/2, 1/2) / 2 with x = df / (df + t²)
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  return 0.5 * incompleteBetaPair(x, df / 2, 0.5, y).lower;
}

/** Student's t CDF P(T ≤ t) with `df` degrees of freedom (df > 0; Infinity gives the normal). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === 0) return 0.5;
  if (t === -Infinity) return 0;
  if (t === Infinity) return 1;
  const tail = studentTTail(t, df);
  return t < 0 ? tail : 1 - tail;
}

/** Student's t survival function P(T > t). */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === 0) return 0.5;
  if (t === -Infinity) return 1;
  if (t === Infinity) return 0;
  const tail = studentTTail(t, df);
  return t > 0 ? tail : 1 - tail;
}

/** Upper-tail t quantile: the t > 0 with P(T > t) = q, for 0 < q < 0.5. */
function upperTQuantile(q: number, df: number): number {
  if (df === Infinity) return -normalQuantile(q);
  if (df === 1) return Math.tan(Math.PI * (0.5 - q));
  if (df === 2) {
    const p = 1 - q;
    // closed form; computed from q to keep precision in the tail
    return (1 - 2 * q) / Math.sqrt(2 * p * q);
  }
  // Start: Cornish–Fisher expansion around the normal quantile.
  const z = -normalQuantile(q);
  const z2 = z * z;
  let t = z + (z * (z2 + 1)) / (4 * df) + (z * (5 * z2 * z2 + 16 * z2 + 3)) / (96 * df * df);
  if (!(t > 0) || !Number.isFinite(t)) t = z;
  let lo = 0;
  let hi = Infinity;
  const logQ = Math.log(q);
  for (let i = 0; i < 200; i++) {
    const sf = studentTTail(t, df);
    if (sf > q) lo = Math.max(lo, t);
    else hi = Math.min(hi, t);
    // Newton on log sf(t) = log q: derivative of log sf is −pdf/sf.
    const g = Math.log(sf) - logQ;
    const dg = -studentTPdf(t, df) / sf;
    let next = t - g / dg;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      next = hi === Infinity ? Math.max(2 * t, lo + 1) : 0.5 * (lo + hi);
    }
    if (Math.abs(next - t) <= 2e-16 * Math.abs(t)) {
      t = next;
      break;
    }
    t = next;
  }
  return t;
}

/** Student's t quantile: the t with P(T ≤ t) = p. */
export function studentTQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  return p > 0.5 ? upperTQuantile(1 - p, df) : -upperTQuantile(p, df);
}

/** Student's t inverse survival function: the t with P(T > t) = q (scipy's `t.isf`). */
export function studentTInverseSf(q: number, df: number): number {
  if (Number.isNaN(q) || q < 0 || q > 1 || !(df > 0)) return NaN;
  if (q === 0) return Infinity;
  if (q === 1) return -Infinity;
  if (q === 0.5) return 0;
  return q < 0.5 ? upperTQuantile(q, df) : -upperTQuantile(1 - q, df);
}

/** Chi-square CDF with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  if (Number.isNaN(x) || !(k > 0)) return NaN;
  if (x <= 0) return 0;
  return incompleteGammaPair(k / 2, x / 2).lower;
}

/** Chi-square survival function P(X > x) with k degrees of freedom, accurate in the upper tail. */
export function chiSquareSf(x: number, k: number): number {
  if (Number.isNaN(x) || !(k > 0)) return NaN;
  if (x <= 0) return 1;
  return incompleteGammaPair(k / 2, x / 2).upper;
}
