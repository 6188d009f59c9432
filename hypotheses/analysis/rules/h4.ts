/**
 * H4: token embeddings are more sensitive than internal latents.
 *
 * Bit-budget validity (applied before any test, as a pair filter): a (bin-blocks, bin-embed) cell
 * pair is valid only when both cells report `total_bits` and |bits_A − bits_B| ≤ tolerance ×
 * max(bits_A, bits_B) (tolerance = settings.bitBudgetTolerance, default 1%). Accuracy pairs from an
 * invalid or unchecked cell pair are moved to `unmatched` with the numbers, never tested, and one
 * `deterministic-check` record summarises the check.
 *
 * Primary comparison `degradation-embed-vs-blocks`: d_A − d_B = (fp16 − A) − (fp16 − B) = B − A
 * per seed, so "d_A > d_B" is the one-sided superiority of bin-blocks' accuracy over bin-embed's,
 * per task, Holm over tasks.
 *   supported    — significant after Holm on every task;
 *   rejected     — the opposite one-sided test (d_B > d_A, bin-embed better) significant after Holm
 *                  on any task;
 *   inconclusive — otherwise (too few seeds — also when invalid budgets leave too few pairs).
 * Key numbers also give mean d_A and d_B per task when fp16 rows exist.
 */
import type { Comparison } from '../../definition.ts';
import { comparisonOf, type RuleContext, type RuleResult } from '../context.ts';
import { aggregatePoints, pairComparison, type Pair, type PairingResult, type RowIndex } from '../pairing.ts';
import type { TestRecord, UnmatchedObservation } from '../types.ts';
import { everyPoint } from './common.ts';

export interface PairFilterResult { pairs: Pair[]; invalid: UnmatchedObservation[]; records: TestRecord[]; warnings: string[] }

export function h4BitBudgetFilter(index: RowIndex, c: Comparison, paired: PairingResult, settings: Record<string, unknown>): PairFilterResult {
  if (c.pairing.kind !== 'across-variants') return { pairs: paired.pairs, invalid: [], records: [], warnings: [] };
  const tol = settings.bitBudgetTolerance as number;
  const budget = pairComparison(index, 'bit-budget', { kind: 'across-variants', metric: 'total_bits', variant: c.pairing.variant, baseline: c.pairing.baseline }, []);
  const byCells = new Map<string, Array<{ a: number; b: number; ok: boolean }>>();
  for (const p of budget.pairs) {
    const a = p.variantValue;
    const b = p.baselineValue as number;
    const ok = Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
    const k = `${p.variantCell}\u0000${p.baselineCell}`;
    const list = byCells.get(k);
    if (list) list.push({ a, b, ok });
    else byCells.set(k, [{ a, b, ok }]);
  }
  const pairs: Pair[] = [];
  const invalid: UnmatchedObservation[] = [];
  let checked = 0;
  let bad = 0;
  let missing = 0;
  for (const p of paired.pairs) {
    const entries = byCells.get(`${p.variantCell}\u0000${p.baselineCell}`);
    const base = { comparison: c.id, variant: paired.variant, metric: paired.metric, seed: p.seed, gpu: p.gpu, grid: p.grid, coordinates: p.coords, cellKey: p.variantCell };
    if (!entries) {
      missing++;
      invalid.push({ ...base, reason: `invalid pair: no total_bits reported for the ${paired.variant}/${paired.baseline} cells, so the equal bit budget cannot be checked` });
      continue;
    }
    checked++;
    const wrong = entries.find((e) => !e.ok);
    if (wrong) {
      bad++;
      const rel = Math.abs(wrong.a - wrong.b) / Math.max(Math.abs(wrong.a), Math.abs(wrong.b));
      invalid.push({ ...base, reason: `invalid pair: total_bits ${wrong.a} (${paired.variant}) vs ${wrong.b} (${paired.baseline}) differ by ${(rel * 100).toFixed(2)}% > ${(tol * 100).toFixed(2)}%` });
      continue;
    }
    pairs.push(p);
  }
  const record: TestRecord = {
    comparison: 'bit-budget', family: 'H4-deterministic', metric: 'total_bits', grid: {}, test: 'deterministic-check', alternative: 'two-sided',
    margin: tol, n: paired.pairs.length, meanDiff: null, sdDiff: null, ciLow: null, ciHigh: null, statistic: null, df: null, pValue: null,
    pHolm: null, pBh: null, reject: paired.pairs.length ? bad + missing > 0 : null,
    details: {
      check: `|total_bits[${paired.variant}] − total_bits[${paired.baseline}]| ≤ ${tol} × max`, validPairs: pairs.length, invalidPairs: bad,
      uncheckedPairs: missing, checkedPairs: checked, role: 'primary',
    },
  };
  const warnings: string[] = [];
  if (bad || missing) warnings.push(`bit budget: ${bad} accuracy pair(s) with total_bits differing by more than ${(tol * 100).toFixed(2)}% and ${missing} without total_bits were excluded from the tests`);
  return { pairs, invalid, records: [record], warnings };
}

export function ruleH4(ctx: RuleContext): RuleResult {
  const ec = comparisonOf(ctx, 'degradation-embed-vs-blocks');
  const o = everyPoint(ctx, ec, 'degradation of bin-embed exceeds that of bin-blocks (d_A > d_B)');
  const budget = ec.records.find((r) => r.test === 'deterministic-check');
  // Degradations vs fp16 for the report (not used by the verdict).
  const degradation: Record<string, unknown> = {};
  for (const v of ['bin-embed', 'bin-blocks']) {
    const res = pairComparison(ctx.index, `degradation-${v}`, { kind: 'across-variants', metric: 'accuracy', variant: 'fp16', baseline: v }, ['task']);
    degradation[v] = aggregatePoints(res.pairs, ['task'], 'absolute', `H4 degradation ${v}`).map((pt) => ({
      grid: pt.grid, n: pt.seeds.length, meanDegradation: pt.v.reduce((s, x, i) => s + x - (pt.b as number[])[i], 0) / pt.v.length,
    }));
  }
  const keyNumbers: Record<string, unknown> = {
    perTask: o.numbers,
    tasksWithoutPairs: o.unpairedPoints,
    bitBudget: budget ? { tolerance: budget.margin, ...budget.details } : null,
    degradationVsFp16: degradation,
    note: 'meanDiff = mean(acc[bin-blocks] − acc[bin-embed]) = mean(d_A − d_B)',
  };
  switch (o.status) {
    case 'supported': return { verdict: 'supported', reason: `supported: ${o.detail}`, keyNumbers };
    case 'rejected': return { verdict: 'rejected', reason: `rejected: d_B > d_A — ${o.detail}`, keyNumbers };
    case 'too-few-seeds': return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): ${o.detail}${budget && budget.reject ? ' (pairs with an invalid bit budget were excluded)' : ''}`, keyNumbers };
    default: return { verdict: 'inconclusive', reason: `inconclusive: ${o.detail}`, keyNumbers };
  }
}
