/**
 * Unit-level analysis: the same comparisons, with the unit of a kernel's `values` events (a query,
 * an evaluation window, an example) as the replication unit instead of the seed. On a fixed corpus
 * the seed varies only the projection (rhp, itq) or nothing at all (sign), so the seed-level tests
 * of a deterministic variant see identical seeds (sd 0); the retrieval literature tests over
 * queries, the perplexity literature over windows.
 *
 * Pairing (same rules as pairing.ts, then on the unit id):
 * - single: the variant's per-unit values of the metric;
 * - within-run: the variant metric's and the baseline metric's values of the same cell whose tags
 *   agree on every tag both carry, paired on unit id;
 * - across-variants: the variant's and the baseline's values with the same seed and coordinates
 *   (RowIndex.matchKey), paired on unit id.
 * d per unit and seed = variant − baseline on the comparison's scale (single: the value itself).
 * A log-scale metric may be represented by another per-unit metric on the absolute scale of its
 * log: `ppl` by the per-window mean `nll` (log ppl = mean nll), so d = nll_bin − nll_int4 is a log
 * ratio and is tested against the same log margin.
 *
 * Seeds: a unit is kept when every seed at the grid point has it (a complete seeds × units matrix;
 * others are counted in details.droppedUnits). Several observations of one seed (e.g. GPUs that are
 * no grid key) are averaged per unit. The tests (claim, opposite, two-sided t, Wilcoxon) run on the
 * per-unit means over seeds — for a deterministic variant every seed row is identical, so this is
 * exactly one seed's units — and a two-level bootstrap (stats/bootstrap.ts, seeds × units, crossed,
 * percentile, B = 2000, fixed generator seed) gives the CI of the grand mean, stored as a
 * `bootstrap-ci` record beside the tests. Records carry comparison `<id>@<unit>`, family
 * `<family>@<unit>` (its own Holm family) and details.unit; seed-level records carry unit 'seed'.
 */
import type { Comparison } from '../definition.ts';
import { twoLevelBootstrapCi, BOOTSTRAP_DEFAULTS } from '../stats/index.ts';
import { planClaim, type ClaimPlan } from './claims.ts';
import { compareGrid, gridId, gridPoint } from './coords.ts';
import { AnalysisInputError } from './errors.ts';
import type { PointData, RowIndex } from './pairing.ts';
import { testPoint } from './point-tests.ts';
import type { GridPoint, MetricRow, TestRecord, UnitValueSet } from './types.ts';

/** Per-unit stand-ins for a comparison metric whose values events have another name / scale. */
export const UNIT_METRICS: Readonly<Record<string, { metric: string; scale: 'absolute' }>> = {
  ppl: { metric: 'nll', scale: 'absolute' }, // log ppl = mean nll: nll differences are log ratios
};

export function validateUnitSets(sets: readonly UnitValueSet[]): void {
  sets.forEach((s, i) => {
    if (!Array.isArray(s.ids) || !Array.isArray(s.values) || s.ids.length !== s.values.length) {
      throw new AnalysisInputError(`unit values #${i} (${s.metric} of cell ${s.cellKey}): ids and values must be arrays of the same length`);
    }
    s.values.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new AnalysisInputError(`unit values #${i} (${s.metric} of cell ${s.cellKey}), unit ${s.ids[j]}: value ${v} is not finite`);
    });
  });
}

/** Unit value sets of one hypothesis by variant and metric. */
export class UnitIndex {
  private readonly by = new Map<string, UnitValueSet[]>();
  constructor(sets: readonly UnitValueSet[]) {
    for (const s of sets) {
      const k = `${s.variant}\u0000${s.metric}`;
      const list = this.by.get(k);
      if (list) list.push(s); else this.by.set(k, [s]);
    }
  }
  sets(variant: string, metric: string): UnitValueSet[] { return this.by.get(`${variant}\u0000${metric}`) ?? []; }
  get size(): number { return this.by.size; }
}

/** A values set seen as a metric row (for grid points and match keys). */
const asRow = (s: UnitValueSet): MetricRow => ({ hypothesis: s.hypothesis, variant: s.variant, seed: s.seed, gpu: s.gpu, params: s.params, cellKey: s.cellKey, metric: s.metric, value: 0, tags: s.tags });

interface UnitObs { seed: number; grid: GridPoint; unit: string; d: Map<string, number> }

function diffs(v: UnitValueSet, b: UnitValueSet | null, scale: 'absolute' | 'log', what: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!b) { v.ids.forEach((id, i) => out.set(String(id), v.values[i])); return out; }
  const bv = new Map<string, number>();
  b.ids.forEach((id, i) => bv.set(String(id), b.values[i]));
  v.ids.forEach((id, i) => {
    const y = bv.get(String(id));
    if (y === undefined) return;
    const x = v.values[i];
    if (scale === 'log' && !(x > 0 && y > 0)) throw new AnalysisInputError(`${what}, unit ${id}: a log-scale comparison needs positive values, got ${x} and ${y}`);
    out.set(String(id), scale === 'log' ? Math.log(x) - Math.log(y) : x - y);
  });
  return out;
}

/** Per-unit differences of one comparison, one observation per (cell or pair of cells). */
function unitObservations(index: RowIndex, units: UnitIndex, c: Comparison, scale: 'absolute' | 'log'): UnitObs[] {
  const p = c.pairing;
  const mapped = (m: string) => UNIT_METRICS[m]?.metric ?? m;
  const obs: UnitObs[] = [];
  const push = (v: UnitValueSet, b: UnitValueSet | null) => {
    const d = diffs(v, b, scale, `${c.id} ${v.variant} ${v.metric} seed ${v.seed}`);
    if (d.size) obs.push({ seed: v.seed, grid: gridPoint(asRow(v), c.gridKeys), unit: v.unit, d });
  };
  switch (p.kind) {
    case 'single':
      for (const v of units.sets(p.variant, mapped(p.metric))) push(v, null);
      return obs;
    case 'within-run': {
      const base = new Map<string, UnitValueSet[]>();
      for (const b of units.sets(p.variant, mapped(p.baselineMetric))) {
        const list = base.get(b.cellKey);
        if (list) list.push(b); else base.set(b.cellKey, [b]);
      }
      for (const v of units.sets(p.variant, mapped(p.variantMetric))) {
        // tags both carry must agree; a tag only one carries (rescore_multiplier) is metric-specific
        const partners = (base.get(v.cellKey) ?? []).filter((b) => Object.keys(b.tags).every((k) => !(k in v.tags) || v.tags[k] === b.tags[k]));
        if (partners.length === 1) push(v, partners[0]);
      }
      return obs;
    }
    case 'across-variants': {
      const base = new Map<string, UnitValueSet>();
      for (const b of units.sets(p.baseline, mapped(p.metric))) base.set(index.matchKey(asRow(b)), b);
      for (const v of units.sets(p.variant, mapped(p.metric))) {
        const b = base.get(index.matchKey(asRow(v)));
        if (b) push(v, b);
      }
      return obs;
    }
  }
}

/** One grid point's complete seeds × units matrix of d. */
export interface UnitPoint {
  grid: GridPoint;
  unit: string;
  seeds: number[];
  unitIds: string[];
  /** d[seed][unit], rows in the order of `seeds` */
  d: number[][];
  droppedUnits: number;
  /** every seed row is the same (S ≥ 2): the variant is deterministic in the seed here */
  seedInvariant: boolean;
}

export function unitPoints(obs: readonly UnitObs[], gridKeys: readonly string[]): UnitPoint[] {
  const byGrid = new Map<string, { grid: GridPoint; unit: string; bySeed: Map<number, Map<string, number[]>> }>();
  for (const o of obs) {
    const id = gridId(o.grid, gridKeys) + '\u0000' + o.unit;
    let g = byGrid.get(id);
    if (!g) byGrid.set(id, (g = { grid: o.grid, unit: o.unit, bySeed: new Map() }));
    let s = g.bySeed.get(o.seed);
    if (!s) g.bySeed.set(o.seed, (s = new Map()));
    for (const [u, x] of o.d) { const l = s.get(u); if (l) l.push(x); else s.set(u, [x]); }
  }
  const points: UnitPoint[] = [];
  for (const { grid, unit, bySeed } of byGrid.values()) {
    const seeds = [...bySeed.keys()].sort((a, b) => a - b);
    const all = new Set<string>();
    for (const m of bySeed.values()) for (const u of m.keys()) all.add(u);
    const common = [...all].filter((u) => seeds.every((s) => bySeed.get(s)!.has(u))).sort(naturalOrder);
    if (!common.length) continue;
    const d = seeds.map((s) => common.map((u) => { const l = bySeed.get(s)!.get(u)!; return l.reduce((a, x) => a + x, 0) / l.length; }));
    const seedInvariant = seeds.length >= 2 && d.every((row) => row.every((x, j) => x === d[0][j]));
    points.push({ grid, unit, seeds, unitIds: common, d, droppedUnits: all.size - common.length, seedInvariant });
  }
  return points.sort((a, b) => compareGrid(a.grid, b.grid, gridKeys) || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The claim plan of the unit-level tests: d is already on the comparison's scale (a log ratio for
 * log-scale claims), so the one-sample tests run on the absolute scale of d with the same shift. */
export function unitPlan(c: Comparison, effectiveMargin: number | null): ClaimPlan {
  const claim = c.claim.kind === 'non-inferiority' ? { ...c.claim, scale: 'absolute' as const } : c.claim;
  return planClaim({ ...c, claim }, effectiveMargin ?? undefined);
}

export interface UnitLevelResult {
  /** per unit name (query, window …): the records of that unit's comparison `<id>@<unit>` */
  byUnit: Map<string, { plan: ClaimPlan; records: TestRecord[]; points: UnitPoint[] }>;
}

/** Tests of one comparison over units (see the module doc); empty when the kernel emitted no values for it. */
export function unitLevelTests(
  index: RowIndex, units: UnitIndex, c: Comparison, seedScale: 'absolute' | 'log', effectiveMargin: number | null,
  o: { alpha: number; minSeeds: number; variantLabel: string; baselineLabel: string; metric: string; baselineMetric: string | null },
): UnitLevelResult {
  const dScale = UNIT_METRICS[o.metric] ? 'absolute' : seedScale;
  const points = unitPoints(unitObservations(index, units, c, dScale), c.gridKeys);
  const byUnit: UnitLevelResult['byUnit'] = new Map();
  const plan = unitPlan(c, effectiveMargin);
  for (const up of points) {
    const id = `${c.id}@${up.unit}`;
    let e = byUnit.get(up.unit);
    if (!e) byUnit.set(up.unit, (e = { plan, records: [], points: [] }));
    e.points.push(up);
    const means = up.unitIds.map((_, j) => up.d.reduce((a, row) => a + row[j], 0) / up.d.length);
    const point: PointData = { grid: up.grid, seeds: means.map((_, j) => j), v: means, b: null, aggregatedOver: [], pairs: [] };
    const comparison: Comparison = { ...c, id, family: `${c.family}@${up.unit}` };
    const { records } = testPoint({ comparison, plan, alpha: o.alpha, minSeeds: o.minSeeds, variantLabel: o.variantLabel, baselineLabel: o.baselineLabel, metric: UNIT_METRICS[o.metric]?.metric ?? o.metric, baselineMetric: o.baselineMetric }, point);
    const unitDetails = {
      unit: up.unit, units: up.unitIds.length, seedsAveraged: up.seeds, seedInvariant: up.seedInvariant, droppedUnits: up.droppedUnits,
      unitAggregation: up.seeds.length > 1 ? `per-${up.unit} mean over ${up.seeds.length} seeds${up.seedInvariant ? ' (identical seeds: one seed\'s values)' : ''}` : `one seed's ${up.unit} values`,
      ...(UNIT_METRICS[o.metric] ? { unitMetric: UNIT_METRICS[o.metric].metric, unitMetricNote: `log ${o.metric} = mean ${UNIT_METRICS[o.metric].metric}: per-${up.unit} ${UNIT_METRICS[o.metric].metric} differences are log ratios` } : {}),
    };
    for (const r of records) {
      delete r.details.seeds;
      delete r.details.differences;
      Object.assign(r.details, unitDetails);
      if (dScale === 'absolute' && seedScale === 'log' && r.meanDiff !== null) r.details.ratio = Math.exp(r.meanDiff);
      if (typeof r.details.confidenceBound === 'number' && seedScale === 'log') r.details.ratioBound = Math.exp(r.details.confidenceBound);
    }
    const boot = twoLevelBootstrapCi(up.d, { level: 1 - o.alpha, seed: BOOTSTRAP_DEFAULTS.seed });
    records.push({
      comparison: id, family: comparison.family, metric: UNIT_METRICS[o.metric]?.metric ?? o.metric, grid: up.grid, test: 'bootstrap-ci', alternative: 'two-sided',
      margin: plan.margin, n: up.unitIds.length, meanDiff: boot.mean, sdDiff: null, ciLow: boot.ciLow, ciHigh: boot.ciHigh,
      statistic: null, df: null, pValue: null, pHolm: null, pBh: null, reject: null,
      details: {
        ...unitDetails, unit: `seed×${up.unit}`, role: c.role, variant: o.variantLabel, baseline: o.baselineLabel, scale: plan.scale, mu: plan.mu,
        bootstrap: { method: boot.method, level: boot.level, replicates: boot.replicates, generatorSeed: boot.seed, nSeeds: boot.nSeeds, nUnits: boot.nUnits },
        h1: `${Math.round(boot.level * 100)}% CI of the grand mean of d over seeds × ${up.unit}s`,
      },
    });
    e.records.push(...records);
  }
  return { byUnit };
}

