/**
 * H1 verdict, for the primary binarizer (settings.primaryBinarizer, which must be a variant the
 * sweep ran; by default the first of rhp, itq, sign that it ran — definitions/h1.ts resolveSettings;
 * the others are evaluated the same way and reported in keyNumbers.binarizers).
 * The nDCG test uses raw binary retrieval or Hamming candidates re-ranked with the float query
 * (settings.ndcgRetrieval = 'raw' | 'rescored'; rescored has one point per rescore_multiplier, and
 * every one at m* must pass); the other mode is tested as a secondary comparison and reported in
 * keyNumbers.ndcgOtherRetrievalAtMStar.
 * Replication unit: the seed; but a binarizer whose seeds give identical per-query values (sign on a
 * fixed corpus) is decided by the same tests over queries (comparisons `overlap-<b>@query`,
 * `ndcg-<b>@query`; context.ts `decisive`), and the reason and keyNumbers.unit say so.
 *
 * m* = the smallest code length m in the grid such that, for every k observed (normally 10 and
 * 50), the one-sided test H0: mean overlap@k ≤ overlapThreshold rejects after Holm within the
 * family `H1-overlap-<binarizer>` (all (m, k) points). A raw one-sided rejection at α is the same
 * as "one-sided 95% LCB > threshold"; the Holm-adjusted decision used here is stricter, and the
 * raw LCBs are reported beside it. Points with fewer than minSeeds seeds cannot qualify.
 *   supported    — m* exists and at m* binary nDCG@10 is non-inferior to float nDCG@10 (within-run
 *                  pairs, margin ndcgMargin absolute; Holm within `H1-ndcg-<binarizer>` over m);
 *   rejected     — (a) at every m some k has mean overlap significantly BELOW the threshold
 *                  (opposite one-sided test, Holm), so no m in the grid can qualify; or (b) m*
 *                  exists and at m* binary nDCG@10 is significantly worse than float by more than
 *                  the margin (opposite one-sided test, Holm);
 *   inconclusive — otherwise; "(too few seeds)" when no overlap point has minSeeds seeds.
 */
import { comparisonOf, decisive, plural, fnum, fp, missingGridPoints, outcomes, pointNumbers, type PointOutcome, type RuleContext, type RuleResult } from '../context.ts';
import type { Scalar } from '../types.ts';

export interface BinarizerOutcome {
  binarizer: string;
  status: 'supported' | 'rejected' | 'inconclusive' | 'too-few-seeds' | 'no-data';
  detail: string;
  mStar: Scalar | null;
  ks: Scalar[];
  perM: Array<{ m: Scalar | null; missing?: boolean; qualifies: boolean; belowAtSomeK: boolean; lcb: Record<string, number | null>; pHolm: Record<string, number | null> }>;
  ndcgAtMStar: Record<string, unknown> | null;
  /** replication unit of the overlap tests that decided ('seed', or 'query' for a deterministic binarizer) */
  unit: string;
  unitNote: string | null;
}

const sortScalars = (xs: Array<Scalar | null>) => xs.sort((a, b) => {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
});

export function evaluateBinarizer(ctx: RuleContext, b: string, threshold: number, margin: number): BinarizerOutcome {
  // A deterministic binarizer (sign on a fixed corpus) is tested over queries, not identical seeds.
  const ovd = decisive(ctx, `overlap-${b}`);
  const ndd = decisive(ctx, `ndcg-${b}`);
  const ovc = ovd.ec;
  const ov = outcomes(ovc);
  const nd = outcomes(ndd.ec);
  // (m, k) points the cells targeted but that have no observation (their cells failed …): such an m
  // cannot qualify, and it also prevents "no m can qualify" from being concluded.
  const missing = ov.length ? missingGridPoints(ctx, ovc, ov.map((p) => p.grid)) : [];
  const ks = sortScalars([...new Set([...ov, ...missing.map((grid) => ({ grid }))].map((p) => p.grid.k ?? null))]).filter((k): k is Scalar => k !== null);
  const ms = sortScalars([...new Set([...ov, ...missing.map((grid) => ({ grid }))].map((p) => p.grid.bits ?? null))]);
  const base = { binarizer: b, ks, mStar: null, perM: [], ndcgAtMStar: null, unit: ovd.unit, unitNote: ovd.why ?? ndd.why };
  if (!ov.length) return { ...base, status: 'no-data', detail: `no overlap_at_k observations for ${b}` };
  const at = (m: Scalar | null, k: Scalar | null): PointOutcome | undefined => ov.find((p) => (p.grid.bits ?? null) === m && (p.grid.k ?? null) === k);
  const kList: Array<Scalar | null> = ks.length ? ks : [null];
  const perM = ms.map((m) => {
    const pts = kList.map((k) => at(m, k));
    return {
      m,
      ...(pts.every((p) => p === undefined) ? { missing: true } : {}),
      qualifies: pts.every((p) => p !== undefined && p.passed),
      belowAtSomeK: pts.some((p) => p !== undefined && p.contradicted),
      lcb: Object.fromEntries(kList.map((k, i) => [String(k), (pts[i]?.claim.details.confidenceBound as number | undefined) ?? null])),
      pHolm: Object.fromEntries(kList.map((k, i) => [String(k), pts[i]?.claim.pHolm ?? null])),
    };
  });
  const star = perM.find((x) => x.qualifies);
  // sign codes have m = d (no bits axis): shown as "d" when the kernel reports no bits tag
  const mStar = star ? (star.m ?? 'd') : null;
  const out = { ...base, perM, mStar };
  if (!star) {
    if (perM.length && perM.every((x) => x.belowAtSomeK)) {
      return { ...out, status: 'rejected', detail: `no m in the grid reaches mean overlap ≥ ${threshold}: at every m some k is significantly below it (opposite one-sided test, Holm)` };
    }
    if (ov.every((p) => p.tooFewSeeds)) {
      const maxN = ov.reduce((mx, p) => Math.max(mx, p.n), 0);
      return { ...out, status: 'too-few-seeds', detail: `overlap of ${b}: at most ${maxN} paired seed(s) per (m, k), the protocol needs ≥ ${ctx.minSeeds}` };
    }
    return { ...out, status: 'inconclusive', detail: `no m* for ${b}: no m whose Holm-adjusted one-sided test of mean overlap > ${threshold} rejects for every k (${ks.join(', ') || 'k n/a'}); best LCBs ${perM.map((x) => `m=${x.m}: ${Object.values(x.lcb).map((v) => fnum(v)).join('/')}`).join(', ')}` };
  }
  // Rescored retrieval has one point per rescore_multiplier at m*: all of them must pass (the worst decides).
  const ndAll = nd.filter((p) => (p.grid.bits ?? null) === star.m);
  const ndAt = ndAll.find((p) => p.contradicted) ?? ndAll.find((p) => !p.passed) ?? ndAll[0];
  const ndcgAtMStar = ndAt ? pointNumbers(ndAt) : null;
  const res = { ...out, ndcgAtMStar };
  if (!ndAt) return { ...res, status: 'inconclusive', detail: `m* = ${mStar} for ${b}, but no paired binary/float nDCG@10 at m*` };
  if (ndAt.contradicted) {
    return { ...res, status: 'rejected', detail: `m* = ${mStar} for ${b}, but binary nDCG@10 is significantly worse than float by more than ${margin} there (mean diff ${fnum(ndAt.claim.meanDiff)}, opposite test Holm p = ${fp(ndAt.opposite.pHolm)})` };
  }
  if (ndAt.passed) {
    return { ...res, status: 'supported', detail: `m* = ${mStar} for ${b} (overlap LCB ≥ ${threshold} for k = ${ks.join(', ')}, Holm-adjusted one-sided tests) and binary nDCG@10 is non-inferior to float at m* (margin ${margin}, mean diff ${fnum(ndAt.claim.meanDiff)}, LCB ${fnum(ndAt.claim.details.confidenceBound as number)}, Holm p = ${fp(ndAt.claim.pHolm)})` };
  }
  if (ndAt.tooFewSeeds) return { ...res, status: 'too-few-seeds', detail: `m* = ${mStar} for ${b}, but only ${ndAt.n} paired seed(s) for nDCG@10 at m* (need ≥ ${ctx.minSeeds})` };
  return { ...res, status: 'inconclusive', detail: `m* = ${mStar} for ${b}, but binary nDCG@10 non-inferiority to float (margin ${margin}) is not shown at m* (mean diff ${fnum(ndAt.claim.meanDiff)}, LCB ${fnum(ndAt.claim.details.confidenceBound as number)}, Holm p = ${fp(ndAt.claim.pHolm)})` };
}

function otherRetrieval(ctx: RuleContext, s: { primaryBinarizer: string; ndcgRetrieval: 'raw' | 'rescored' }, mStar: Scalar | null): Record<string, unknown> | null {
  const other = ctx.comparisons.get(`ndcg-${s.primaryBinarizer}-${s.ndcgRetrieval === 'raw' ? 'rescored' : 'raw'}`);
  if (!other || mStar === null) return null;
  const m = mStar === 'd' ? null : mStar;
  const pts = outcomes(other).filter((p) => (p.grid.bits ?? null) === m);
  return { retrieval: s.ndcgRetrieval === 'raw' ? 'rescored' : 'raw', points: pts.map(pointNumbers) };
}

export function ruleH1(ctx: RuleContext): RuleResult {
  const s = ctx.settings as { overlapThreshold: number; ndcgMargin: number; primaryBinarizer: string; ndcgRetrieval: 'raw' | 'rescored' };
  // the primary binarizer, and the others only when the sweep ran them
  const ran = new Set(ctx.cells.map((c) => c.variant));
  const binarizers = [...ctx.comparisons.keys()].filter((id) => id.startsWith('overlap-') && !id.includes('@')).map((id) => id.slice('overlap-'.length))
    .filter((b) => b === s.primaryBinarizer || ran.has(b));
  const all = binarizers.map((b) => evaluateBinarizer(ctx, b, s.overlapThreshold, s.ndcgMargin));
  const primary = all.find((x) => x.binarizer === s.primaryBinarizer)!;
  const keyNumbers: Record<string, unknown> = {
    primaryBinarizer: s.primaryBinarizer,
    mStar: primary.mStar,
    ks: primary.ks,
    marginsUsed: { overlapThreshold: s.overlapThreshold, ndcgMargin: s.ndcgMargin },
    decidedWith: `m*: Holm-adjusted one-sided t-tests of H0: mean overlap ≤ ${s.overlapThreshold} (family H1-overlap-${s.primaryBinarizer}); nDCG: Holm-adjusted one-sided non-inferiority t-test (family H1-ndcg-${s.primaryBinarizer})`,
    overlapByM: primary.perM,
    ndcgAtMStar: primary.ndcgAtMStar,
    binarizers: Object.fromEntries(all.map((x) => [x.binarizer, { status: x.status, mStar: x.mStar, detail: x.detail, unit: x.unit }])),
    unit: primary.unit,
    ndcgRetrieval: s.ndcgRetrieval,
    // the other retrieval mode (raw or rescored) at m*, reported beside the one that decides
    ndcgOtherRetrievalAtMStar: otherRetrieval(ctx, s, primary.mStar),
  };
  const others = all.filter((x) => x !== primary).map((x) => `${x.binarizer}: ${x.status === 'no-data' ? 'no data' : `m* = ${x.mStar ?? 'none'}`}`).join(', ');
  const unitText = primary.unitNote ? ` (tested over ${plural(primary.unit)}: ${primary.unitNote})` : '';
  const tail = `${unitText}${others ? ` [other binarizers: ${others}]` : ''}`;
  switch (primary.status) {
    case 'supported': return { verdict: 'supported', reason: `supported: ${primary.detail}${tail}`, keyNumbers };
    case 'rejected': return { verdict: 'rejected', reason: `rejected: ${primary.detail}${tail}`, keyNumbers };
    case 'too-few-seeds': return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): ${primary.detail}${unitText}`, keyNumbers };
    default: return { verdict: 'inconclusive', reason: `inconclusive: ${primary.detail}${tail}`, keyNumbers };
  }
}
