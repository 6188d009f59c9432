/**
 * The "every grid point" rule shared by H2, H3 (per task), H4 (per task):
 *   supported    — every targeted grid point has ≥ minSeeds paired seeds and its claim test rejects
 *                  after Holm (family = the comparison's family);
 *   rejected     — some grid point's opposite one-sided test rejects after Holm (the variant is
 *                  significantly worse than the margin / than the baseline);
 *   inconclusive — otherwise, naming the points that did not pass, or "(too few seeds)" when no
 *                  grid point has minSeeds paired seeds.
 * A targeted grid point is one where the variant or the baseline produced an observation, or one
 * the cells' params name (context.ts `missingGridPoints`); a point without pairs counts as not
 * passed (n = 0).
 */
import { gridId } from '../coords.ts';
import { fnum, fp, gridText, missingGridPoints, outcomes, pointNumbers, type EvaluatedComparison, type PointOutcome, type RuleContext } from '../context.ts';
import type { GridPoint } from '../types.ts';

export interface EveryPointOutcome {
  status: 'supported' | 'rejected' | 'inconclusive' | 'too-few-seeds' | 'no-data';
  /** words after "supported:" / "rejected:" … */
  detail: string;
  points: PointOutcome[];
  /** grid points with observations but no pair at all */
  unpairedPoints: GridPoint[];
  numbers: Array<Record<string, unknown>>;
}

function describePoint(ec: EvaluatedComparison, p: PointOutcome): string {
  const r = p.claim;
  const est = r.details.ratio !== undefined && r.details.ratio !== null
    ? `ratio ${fnum(r.details.ratio as number)} (bound ${fnum(r.details.ratioBound as number | null)})`
    : `mean diff ${fnum(r.meanDiff)} (bound ${fnum(r.details.confidenceBound as number | null)})`;
  return `${gridText(p.grid)}: ${est}, Holm p = ${fp(r.pHolm)}`;
}

export function everyPoint(ctx: RuleContext, ec: EvaluatedComparison, what: string): EveryPointOutcome {
  const minSeeds = ctx.minSeeds;
  const points = outcomes(ec);
  const keys = ec.comparison.gridKeys;
  const seen = new Set(points.map((p) => gridId(p.grid, keys)));
  const unpaired: GridPoint[] = [];
  for (const u of ec.unmatched) {
    const id = gridId(u.grid, keys);
    if (!seen.has(id)) { seen.add(id); unpaired.push(u.grid); }
  }
  // Targeted grid points with no observation at all (e.g. every cell of a context length failed).
  unpaired.push(...missingGridPoints(ctx, ec, [...points.map((p) => p.grid), ...unpaired]));
  const numbers = points.map(pointNumbers);
  const base = { points, unpairedPoints: unpaired, numbers };
  if (!points.length) {
    return { ...base, status: 'no-data', detail: `no paired observations for: ${what}${unpaired.length ? ` (${ec.unmatched.length} unmatched)` : ''}` };
  }
  const contradicted = points.filter((p) => p.contradicted);
  if (contradicted.length) {
    return {
      ...base, status: 'rejected',
      detail: `${what} significantly worse than allowed (opposite one-sided test, Holm) at ${contradicted.map((p) => `${gridText(p.grid)} (Holm p = ${fp(p.opposite.pHolm)})`).join('; ')}`,
    };
  }
  if (points.every((p) => p.tooFewSeeds)) {
    const maxN = points.reduce((m, p) => Math.max(m, p.n), 0);
    return { ...base, status: 'too-few-seeds', detail: `${what}: at most ${maxN} paired seed(s) per grid point, the protocol needs ≥ ${minSeeds}` };
  }
  const failing = points.filter((p) => !p.passed);
  if (!failing.length && !unpaired.length) {
    return { ...base, status: 'supported', detail: `${what} passes at every grid point after Holm (${points.map((p) => describePoint(ec, p)).join('; ')})` };
  }
  const parts: string[] = [];
  const few = failing.filter((p) => p.tooFewSeeds);
  const notShown = failing.filter((p) => !p.tooFewSeeds);
  if (notShown.length) parts.push(`not shown at ${notShown.map((p) => describePoint(ec, p)).join('; ')}`);
  if (few.length) parts.push(`too few seeds at ${few.map((p) => `${gridText(p.grid)} (n = ${p.n})`).join('; ')}`);
  if (unpaired.length) parts.push(`no pairs at ${unpaired.map(gridText).join('; ')} (see unmatched and holes)`);
  return { ...base, status: 'inconclusive', detail: `${what}: ${parts.join('; ')}` };
}
