/**
 * Noncentral t distribution CDF, needed for exact power of the t-test (jstat has none).
 *
 * Series of Lenth (1989, AS 243), summed outward from the mode of the Poisson weights in both
 * directions (as Benton & Krishnamoorthy, 2003, recommend) so that large noncentralities do not
 * underflow the first weight. For t ≥ 0, with x = t²/(t² + ν) and λ = δ²/2:
 *
 *   F(t; ν, δ) = Φ(−δ) + ½ Σ_{i≥0} [ P_i · I_x(i + ½, ν/2) + (δ/√2) · Q_i · I_x(i + 1, ν/2) ]
 *
 * with P_i = e^{−λ} λ^i / i! and Q_i = e^{−λ} λ^i / Γ(i + 3/2); for t < 0,
 * F(t; ν, δ) = 1 − F(−t; ν, −δ). The incomplete beta values follow by the recurrence
 * I_x(a + 1, b) = I_x(a, b) − Γ(a + b) / (Γ(a + 1) Γ(b)) · x^a (1 − x)^b.
 *
 * Accuracy: ~1e-14 absolute. A tiny lower tail for t < 0 is computed as 1 − (something near 1),
 * so its relative accuracy is limited there (power computations only need absolute accuracy).
 */
import { incompleteBetaPair, logGamma } from './specialFunctions.js';
import { normalCdf } from './distributions.js';
import { studentTCdf } from './distributions.js';

const EPS = 1e-17;
const MAX_TERMS = 100_000;

/** F(t; ν, δ) for t ≥ 0. */
function cdfNonNegative(t: number, df: number, delta: number): number {
  const base = normalCdf(-delta);
  if (t === 0) return base;
  const t2 = t * t;
  const x = t2 / (t2 + df);
  const y = df / (t2 + df);
  const b = df / 2;
  const lambda = (delta * delta) / 2;
  const logX = Math.log(x);
  const logY = Math.log(y);
  const scaleQ = delta / Math.SQRT2;
  if (lambda === 0) {
    return base + 0.5 * incompleteBetaPair(x, 0.5, b, y).lower;
  }
  const k = Math.floor(lambda);
  const logLambda = Math.log(lambda);
  // Weights at the mode.
  const pK = Math.exp(-lambda + k * logLambda - logGamma(k + 1));
  const qK = Math.exp(-lambda + k * logLambda - logGamma(k + 1.5));
  // Incomplete betas at the mode, and the recurrence increments g(a) = x^a y^b / (a B(a, b)).
  const aP = k + 0.5;
  const aQ = k + 1;
  const iPK = incompleteBetaPair(x, aP, b, y).lower;
  const iQK = incompleteBetaPair(x, aQ, b, y).lower;
  const gP = (a: number) => Math.exp(logGamma(a + b) - logGamma(a + 1) - logGamma(b) + a * logX + b * logY);
  const gPK = gP(aP);
  const gQK = gP(aQ);

  let sum = pK * iPK + scaleQ * qK * iQK;

  // Forward: i = k+1, k+2, ...
  {
    let p = pK;
    let q = qK;
    let iP = iPK;
    let iQ = iQK;
    let g1 = gPK;
    let g2 = gQK;
    let a1 = aP;
    let a2 = aQ;
    let remainingP = 1; // upper bound of the Poisson mass still to come (loose)
    for (let i = k + 1; i < k + MAX_TERMS; i++) {
      // I_x(a + 1, b) = I_x(a, b) − g(a)
      iP -= g1;
      iQ -= g2;
      g1 *= (x * (a1 + b)) / (a1 + 1);
      g2 *= (x * (a2 + b)) / (a2 + 1);
      a1 += 1;
      a2 += 1;
      p *= lambda / i;
      q *= lambda / (i + 0.5);
      if (iP < 0) iP = 0;
      if (iQ < 0) iQ = 0;
      const term = p * iP + scaleQ * q * iQ;
      sum += term;
      remainingP = p;
      if (i > lambda + 1 && Math.abs(term) <= EPS * Math.abs(sum) && remainingP * iP <= EPS) break;
      if (p === 0 && q === 0) break;
    }
  }
  // Backward: i = k−1, ..., 0
  {
    let p = pK;
    let q = qK;
    let iP = iPK;
    let iQ = iQK;
    let a1 = aP;
    let a2 = aQ;
    // g(a − 1) = g(a) · a / (x (a + b − 1))
    let g1 = gPK;
    let g2 = gQK;
    for (let i = k - 1; i >= 0; i--) {
      g1 *= a1 / (x * (a1 - 1 + b));
      g2 *= a2 / (x * (a2 - 1 + b));
      a1 -= 1;
      a2 -= 1;
      iP += g1;
      iQ += g2;
      p *= (i + 1) / lambda;
      q *= (i + 1.5) / lambda;
      const term = p * iP + scaleQ * q * iQ;
      sum += term;
      if (Math.abs(term) <= EPS * Math.abs(sum) && p <= EPS) break;
    }
  }
  const value = base + 0.5 * sum;
  return Math.min(1, Math.max(0, value));
}

/** CDF of the noncentral t distribution with `df` degrees of freedom and noncentrality `delta`. */
export function noncentralTCdf(t: number, df: number, delta: number): number {
  if (Number.isNaN(t) || Number.isNaN(delta) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (delta === 0) return studentTCdf(t, df);
  if (t >= 0) return cdfNonNegative(t, df, delta);
  return 1 - cdfNonNegative(-t, df, -delta);
}

/** Survival function P(T > t) of the noncentral t distribution. */
export function noncentralTSf(t: number, df: number, delta: number): number {
  if (Number.isNaN(t) || Number.isNaN(delta) || !(df > 0)) return NaN;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  if (delta === 0) return 1 - studentTCdf(t, df);
  if (t < 0) return cdfNonNegative(-t, df, -delta);
  return 1 - cdfNonNegative(t, df, delta);
}
