/**
 * From a comparison's Claim to the one-sided test that decides it. The switch over Claim kinds is
 * exhaustive (a new kind fails to compile at the `never` check), and each kind is checked against
 * its pairing: a threshold claim needs a `single` pairing, a non-inferiority or superiority claim
 * needs a paired one. There is no way to turn a non-significant two-sided test into evidence.
 */
import type { Claim, Comparison, Direction } from '../definition.ts';
import { AnalysisInputError } from './errors.ts';
import type { Alternative } from './types.ts';

export type ClaimTestName = 'non-inferiority' | 'superiority' | 'lower-confidence-bound';

export interface ClaimPlan {
  test: ClaimTestName;
  /** scale of d */
  scale: 'absolute' | 'log';
  /** shift of the one-sided test on the scale of d */
  mu: number;
  /** H1 of the claim test: 'greater' when higher is better */
  alternative: Exclude<Alternative, 'two-sided'>;
  /** the opposite one-sided alternative (what rejects the hypothesis) */
  opposite: Exclude<Alternative, 'two-sided'>;
  /** margin (NI), threshold (LCB) or null (superiority), as used */
  margin: number | null;
  /** shift of the two-sided companions: 0 for paired comparisons, the threshold for single ones */
  companionMu: number;
  h0: string;
  h1: string;
  oppositeH1: string;
}

const fmt = (x: number) => String(Number(x.toPrecision(6))).replace('-', '−');

/** `marginOverride`: the margin on the data's scale when it differs from the declared one (points vs fractions). */
export function planClaim(c: Comparison, marginOverride?: number): ClaimPlan {
  const claim: Claim = c.claim;
  const direction: Direction = c.direction;
  const higher = direction === 'higher';
  const alternative = higher ? 'greater' : 'less';
  const opposite = higher ? 'less' : 'greater';
  const paired = c.pairing.kind !== 'single';
  const dExpr = (scale: 'absolute' | 'log') => {
    const p = c.pairing;
    if (p.kind === 'single') return `mean(${p.metric})`;
    const [a, b] = p.kind === 'within-run' ? [p.variantMetric, p.baselineMetric] : [`${p.metric}[${p.variant}]`, `${p.metric}[${p.baseline}]`];
    return scale === 'log' ? `mean(log ${a} − log ${b})` : `mean(${a} − ${b})`;
  };
  const gt = higher ? '>' : '<';
  const le = higher ? '≤' : '≥';
  switch (claim.kind) {
    case 'non-inferiority': {
      if (!paired) throw new AnalysisInputError(`comparison ${c.id}: a non-inferiority claim needs a paired (within-run or across-variants) pairing`);
      const margin = marginOverride ?? claim.margin;
      if (!(margin > 0) || !Number.isFinite(margin)) throw new AnalysisInputError(`comparison ${c.id}: a non-inferiority margin must be a finite number > 0, got ${margin}`);
      const mu = higher ? -margin : margin;
      const e = dExpr(claim.scale);
      return {
        test: 'non-inferiority', scale: claim.scale, mu, alternative, opposite, margin, companionMu: 0,
        h0: `H0: ${e} ${le} ${fmt(mu)}`, h1: `H1: ${e} ${gt} ${fmt(mu)}`, oppositeH1: `H1: ${e} ${higher ? '<' : '>'} ${fmt(mu)} (worse than the margin)`,
      };
    }
    case 'superiority': {
      if (!paired) throw new AnalysisInputError(`comparison ${c.id}: a superiority claim needs a paired (within-run or across-variants) pairing`);
      const e = dExpr('absolute');
      return {
        test: 'superiority', scale: 'absolute', mu: 0, alternative, opposite, margin: null, companionMu: 0,
        h0: `H0: ${e} ${le} 0`, h1: `H1: ${e} ${gt} 0`, oppositeH1: `H1: ${e} ${higher ? '<' : '>'} 0 (worse than the baseline)`,
      };
    }
    case 'lower-confidence-bound': {
      if (paired) throw new AnalysisInputError(`comparison ${c.id}: a threshold (lower-confidence-bound) claim needs a single pairing`);
      if (!Number.isFinite(claim.threshold)) throw new AnalysisInputError(`comparison ${c.id}: threshold must be finite`);
      const e = dExpr('absolute');
      return {
        test: 'lower-confidence-bound', scale: 'absolute', mu: claim.threshold, alternative, opposite, margin: claim.threshold,
        companionMu: claim.threshold,
        h0: `H0: ${e} ${le} ${fmt(claim.threshold)}`, h1: `H1: ${e} ${gt} ${fmt(claim.threshold)}`,
        oppositeH1: `H1: ${e} ${higher ? '<' : '>'} ${fmt(claim.threshold)} (below the threshold)`,
      };
    }
    default: {
      const never: never = claim;
      throw new AnalysisInputError(`comparison ${c.id}: unknown claim kind ${JSON.stringify(never)}`);
    }
  }
}
