/** Verdict rules by hypothesis, and the pair filters applied before testing (H4's bit budget). */
import type { Comparison, HypothesisId } from '../../definition.ts';
import type { RuleContext, RuleResult } from '../context.ts';
import type { PairingResult, RowIndex } from '../pairing.ts';
import { ruleH1 } from './h1.ts';
import { ruleH2 } from './h2.ts';
import { ruleH3 } from './h3.ts';
import { h4BitBudgetFilter, ruleH4, type PairFilterResult } from './h4.ts';
import { ruleH5 } from './h5.ts';
import { ruleH6 } from './h6.ts';

/** H0 is the platform's self-check (noop kernel): no claim, always inconclusive, with row counts. */
function ruleH0(ctx: RuleContext): RuleResult {
  let rows = 0;
  for (const list of ctx.index.byVariantMetric.values()) rows += list.length;
  const ok = ctx.cells.filter((c) => c.status === 'ok' || c.status === 'reused').length;
  return {
    verdict: 'inconclusive',
    reason: `inconclusive: H0 is the platform self-check (noop kernel) and makes no claim; ${ok} of ${ctx.cells.length} cells ok, ${rows} metric rows`,
    keyNumbers: { metricRows: rows, cellsOk: ok, cells: ctx.cells.length },
  };
}

export const RULES: Record<HypothesisId, (ctx: RuleContext) => RuleResult> = {
  H0: ruleH0, H1: ruleH1, H2: ruleH2, H3: ruleH3, H4: ruleH4, H5: ruleH5, H6: ruleH6,
};

export type PairFilter = (index: RowIndex, c: Comparison, paired: PairingResult, settings: Record<string, unknown>) => PairFilterResult;
export const PAIR_FILTERS: Partial<Record<HypothesisId, PairFilter>> = { H4: h4BitBudgetFilter };
export type { PairFilterResult };
