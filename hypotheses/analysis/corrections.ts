/**
 * Multiple-comparison plumbing over test records (the adjustments themselves are the statistics
 * library's `holmBonferroni` / `benjaminiHochberg`, statsmodels-compatible).
 *
 * - Holm (FWER) within each (hypothesis, family, test name): e.g. all `non-inferiority` tests of
 *   family `H2-ppl` across context lengths form one family; the `opposite-one-sided` tests of the
 *   same family form another; the two-sided companions another.
 * - Benjamini–Hochberg (FDR) across the whole sweep, per class: the claim tests of every primary
 *   and secondary comparison of every hypothesis together; each companion/opposite test name
 *   separately.
 * Tests with no p-value or with fewer paired seeds than the hypothesis' minSeeds are excluded
 * (pHolm = pBh = null, reject = null). `reject` = Holm-adjusted rejection at α.
 */
import { benjaminiHochberg, holmBonferroni } from '../stats/index.ts';
import type { TestName, TestRecord } from './types.ts';

const CORRECTED: ReadonlySet<TestName> = new Set<TestName>([
  'non-inferiority', 'superiority', 'lower-confidence-bound', 'opposite-one-sided', 'paired-t-two-sided', 'wilcoxon-signed-rank',
]);
const CLAIM: ReadonlySet<TestName> = new Set<TestName>(['non-inferiority', 'superiority', 'lower-confidence-bound']);

export function eligible(r: TestRecord): boolean {
  return CORRECTED.has(r.test) && r.pValue !== null && !r.details.tooFewSeeds;
}

function groupBy(records: readonly TestRecord[], key: (r: TestRecord) => string): Map<string, TestRecord[]> {
  const m = new Map<string, TestRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Holm within (family, test name) over one hypothesis' records; sets pHolm, reject, holmFamily, holmSize. */
export function applyHolm(records: readonly TestRecord[], alpha: number): void {
  for (const r of records) if (CORRECTED.has(r.test)) { r.pHolm = null; r.reject = null; }
  for (const [k, group] of groupBy(records.filter(eligible), (r) => `${r.family} / ${r.test}`)) {
    const res = holmBonferroni(group.map((r) => r.pValue as number), alpha);
    group.forEach((r, i) => {
      r.pHolm = res.adjusted[i];
      r.reject = res.reject[i];
      r.details.holmFamily = k;
      r.details.holmSize = group.length;
    });
  }
}

/** Benjamini–Hochberg across the sweep (all hypotheses' records). */
export function applyBh(records: readonly TestRecord[], alpha: number): void {
  for (const r of records) if (CORRECTED.has(r.test)) r.pBh = null;
  for (const group of groupBy(records.filter(eligible), (r) => (CLAIM.has(r.test) ? 'claim' : r.test)).values()) {
    const res = benjaminiHochberg(group.map((r) => r.pValue as number), alpha);
    group.forEach((r, i) => { r.pBh = res.adjusted[i]; });
  }
}
