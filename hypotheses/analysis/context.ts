/**
 * What a verdict rule sees: the evaluated comparisons of its hypothesis (per-grid-point claim and
 * opposite tests after Holm), the indexed rows (for deterministic checks), and — for H6 — the
 * analyses and rows of H1–H4.
 */
import type { Comparison, HypothesisDefinition, HypothesisId } from '../definition.ts';
import type { SweepSpec } from '../sweep-spec.ts';
import type { ClaimPlan } from './claims.ts';
import { formatGrid } from './coords.ts';
import type { PointData, RowIndex } from './pairing.ts';
import type {
  CellStatus, GridPoint, GroupDescriptives, HypothesisAnalysis, TestRecord, UnmatchedObservation, Verdict,
} from './types.ts';

export interface EvaluatedComparison {
  comparison: Comparison;
  plan: ClaimPlan;
  /** margin on the data's scale (differs from the declared one when points meet fractions) */
  effectiveMargin: number | null;
  points: PointData[];
  records: TestRecord[];
  groups: GroupDescriptives[];
  unmatched: UnmatchedObservation[];
  variant: string;
  baseline: string;
  /** unit-level counterparts (comparison `<id>@<unit>`) evaluated for this comparison */
  unitLevels?: string[];
  /** every unit-level point has identical values in all (≥ 2) seeds: the variant is deterministic in the seed */
  seedInvariant?: boolean;
  /** set on a unit-level comparison: its unit (query, window …) */
  unit?: string;
}

/** "query" → "queries", "window" → "windows". */
export const plural = (unit: string) => (/[^aeiou]y$/.test(unit) ? `${unit.slice(0, -1)}ies` : `${unit}s`);

/** The comparison a rule decides with, and its replication unit: the unit-level one (`<id>@<unit>`)
 * when the variant is deterministic in the seed (its seeds are identical, so seed-level tests would
 * see sd 0) and the kernel emitted per-unit values; otherwise the seed-level one. */
export function decisive(ctx: RuleContext, id: string): { ec: EvaluatedComparison; unit: string; why: string | null } {
  const ec = comparisonOf(ctx, id);
  if (ec.seedInvariant && ec.unitLevels?.length) {
    const unit = ec.unitLevels[0];
    return { ec: comparisonOf(ctx, `${id}@${unit}`), unit, why: `every seed of ${ec.variant} gives the same per-${unit} values, so the ${unit} is the replication unit` };
  }
  return { ec, unit: 'seed', why: null };
}

/** The claim and opposite tests of one grid point. */
export interface PointOutcome {
  grid: GridPoint;
  n: number;
  claim: TestRecord;
  opposite: TestRecord;
  /** claim test rejected its H0 after Holm */
  passed: boolean;
  /** opposite test rejected after Holm (evidence against the claim) */
  contradicted: boolean;
  tooFewSeeds: boolean;
}

export function outcomes(ec: EvaluatedComparison): PointOutcome[] {
  const out: PointOutcome[] = [];
  const byGrid = new Map<string, { claim?: TestRecord; opposite?: TestRecord }>();
  for (const r of ec.records) {
    const k = JSON.stringify(r.grid);
    let e = byGrid.get(k);
    if (!e) byGrid.set(k, (e = {}));
    if (r.test === ec.plan.test) e.claim = r;
    else if (r.test === 'opposite-one-sided') e.opposite = r;
  }
  for (const { claim, opposite } of byGrid.values()) {
    if (!claim || !opposite) continue;
    out.push({
      grid: claim.grid, n: claim.n, claim, opposite, passed: claim.reject === true, contradicted: opposite.reject === true,
      tooFewSeeds: claim.details.tooFewSeeds === true,
    });
  }
  return out;
}

export interface RuleContext {
  hypothesis: HypothesisId;
  def: HypothesisDefinition;
  spec: SweepSpec;
  settings: Record<string, unknown>;
  alpha: number;
  minSeeds: number;
  comparisons: Map<string, EvaluatedComparison>;
  index: RowIndex;
  cells: CellStatus[];
  /** H1–H5 analyses already done (H6 reads them) */
  previous: Map<HypothesisId, HypothesisAnalysis>;
  /** row indexes of every hypothesis in the sweep (H6 reads H1–H4) */
  indexes: Map<HypothesisId, RowIndex>;
  /** extra test records of the rule (deterministic checks, H6's Friedman …) */
  addTests(records: TestRecord[]): void;
  addUnmatched(u: UnmatchedObservation[]): void;
  addGroups(g: GroupDescriptives[]): void;
  warn(message: string): void;
}

export interface RuleResult {
  verdict: Verdict;
  reason: string;
  keyNumbers: Record<string, unknown>;
}

export function comparisonOf(ctx: RuleContext, id: string): EvaluatedComparison {
  const c = ctx.comparisons.get(id);
  if (!c) throw new Error(`${ctx.hypothesis}: comparison ${id} was not evaluated`);
  return c;
}

/** Plural param names that list a grid key's values inside one cell (e.g. `contexts` for `ctx`). */
const LIST_PARAMS: Record<string, string[]> = { ctx: ['contexts'], k: ['ks'], task: ['tasks'] };

/**
 * Grid points the sweep targeted (from the cells' params and GPUs) that have no observation at all
 * in this comparison — e.g. a context length whose cells all failed. Only grid keys whose values
 * can be read from the cells (gpu, scalar params such as `bits`, list params such as `contexts`)
 * are checked; a point is missing when no observed point agrees with it on those keys.
 */
export function missingGridPoints(ctx: RuleContext, ec: EvaluatedComparison, observed: GridPoint[]): GridPoint[] {
  const p = ec.comparison.pairing;
  const variants = new Set(p.kind === 'across-variants' ? [p.variant, p.baseline] : [p.variant]);
  const keys = ec.comparison.gridKeys;
  const expected = new Map<string, GridPoint>();
  for (const c of ctx.cells) {
    if (!variants.has(c.variant)) continue;
    let points: GridPoint[] = [{}];
    for (const k of keys) {
      let values: Array<string | number | boolean> | null = null;
      if (k === 'gpu') values = [c.gpu];
      else if (c.params && (typeof c.params[k] === 'number' || typeof c.params[k] === 'string')) values = [c.params[k] as string | number];
      else if (c.params) {
        for (const name of LIST_PARAMS[k] ?? [`${k}s`]) {
          const v = c.params[name];
          if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string')) { values = v as Array<string | number>; break; }
        }
      }
      if (values === null) continue; // not enumerable from the cells: not checked
      points = points.flatMap((pt) => values!.map((v) => ({ ...pt, [k]: v })));
    }
    for (const pt of points) if (Object.keys(pt).length) expected.set(JSON.stringify(pt), pt);
  }
  return [...expected.values()].filter((e) => !observed.some((o) => Object.entries(e).every(([k, v]) => o[k] === v)));
}

/** p formatting for reasons. */
export function fp(p: number | null | undefined): string {
  if (p === null || p === undefined) return 'n/a';
  if (p < 1e-4) return p.toExponential(1);
  return String(Number(p.toPrecision(2)));
}

export function fnum(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return 'n/a';
  return String(Number(x.toPrecision(digits)));
}

export function gridText(g: GridPoint): string {
  return formatGrid(g);
}

/** "too few seeds" text when every point (or the listed ones) has fewer paired seeds than minSeeds. */
export function tooFewSeedsReason(points: PointOutcome[], minSeeds: number, what: string): string {
  const maxN = points.reduce((m, p) => Math.max(m, p.n), 0);
  return `inconclusive (too few seeds): ${what} has at most ${maxN} paired seed${maxN === 1 ? '' : 's'}, the protocol needs ≥ ${minSeeds}`;
}

/** Summary of one point for key numbers. */
export function pointNumbers(p: PointOutcome): Record<string, unknown> {
  return {
    grid: p.grid, n: p.n, meanDiff: p.claim.meanDiff, bound: p.claim.details.confidenceBound ?? null,
    ratio: p.claim.details.ratio ?? undefined, ratioBound: p.claim.details.ratioBound ?? undefined,
    p: p.claim.pValue, pHolm: p.claim.pHolm, passed: p.passed, contradicted: p.contradicted, pHolmOpposite: p.opposite.pHolm,
    ...(p.tooFewSeeds ? { tooFewSeeds: true } : {}),
  };
}
