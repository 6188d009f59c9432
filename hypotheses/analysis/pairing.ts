/**
 * Pairing of observations for one comparison. Nothing is dropped silently: every observation that
 * finds no partner (or more than one) is returned in `unmatched` with the reason, including the
 * status of the partner's cell when that cell failed or never ran.
 *
 * - across-variants: a `variant` row and a `baseline` row of the same metric pair when they share
 *   the seed, the GPU, every kernel param except the variant-defining ones (`binarizer`, `kv`,
 *   `quant`, …) and every tag (ctx, task, k, …).
 * - within-run: two metrics of the same cell (same cell_key) pair when their tags agree on every
 *   tag key both metrics carry in that cell; a tag key only one of the two metrics carries is
 *   metric-specific and ignored.
 * - single: every row of the metric in the variant's cells, compared to a fixed threshold.
 *
 * Then `aggregatePoints` groups pairs by grid point and seed: the seed is the replication unit, so
 * several pairs of one seed at one grid point (e.g. two GPUs when `gpu` is no grid key) are
 * averaged — arithmetically on the absolute scale, geometrically on the log scale — and the
 * coordinates averaged over are named.
 */
import type { HypothesisDefinition, Pairing } from '../definition.ts';
import { AnalysisInputError } from './errors.ts';
import {
  canonicalJson, compareGrid, formatGrid, gridCoordinateNames, gridId, gridPoint, rowCoordinates,
} from './coords.ts';
import type { CellStatus, GridPoint, MetricRow, UnmatchedObservation } from './types.ts';

/** Rows of one hypothesis indexed for pairing, with the cells that explain holes. */
export class RowIndex {
  readonly byVariantMetric = new Map<string, MetricRow[]>();
  readonly variantKeys: Set<string>;
  private readonly paramKeyCache = new Map<string, string>();
  /** match keys of rows already keyed (H4 and H6 pair the same rows several times) */
  private readonly matchKeyCache = new WeakMap<MetricRow, string>();
  private readonly cellsByVariantSeedGpu = new Map<string, CellStatus[]>();

  constructor(readonly def: HypothesisDefinition, rows: readonly MetricRow[], cells: readonly CellStatus[]) {
    const keys = new Set<string>();
    for (const v of Object.values(def.variants)) for (const k of Object.keys(v.params)) keys.add(k);
    this.variantKeys = keys;
    for (const r of rows) {
      const k = r.variant + '\u0000' + r.metric;
      let list = this.byVariantMetric.get(k);
      if (!list) this.byVariantMetric.set(k, (list = []));
      list.push(r);
    }
    for (const c of cells) {
      const k = `${c.variant}\u0000${c.seed}\u0000${c.gpu}`;
      let list = this.cellsByVariantSeedGpu.get(k);
      if (!list) this.cellsByVariantSeedGpu.set(k, (list = []));
      list.push(c);
    }
  }

  rows(variant: string, metric: string): MetricRow[] {
    return this.byVariantMetric.get(variant + '\u0000' + metric) ?? [];
  }

  hasMetric(metric: string): boolean {
    for (const [k, rows] of this.byVariantMetric) if (k.endsWith('\u0000' + metric) && rows.length) return true;
    return false;
  }

  /** Matching key of a row: seed, gpu, params minus variant keys, tags (minus `dropTags`). */
  matchKey(r: MetricRow, dropTags?: ReadonlySet<string>): string {
    const plain = !dropTags || dropTags.size === 0;
    if (plain) {
      const cached = this.matchKeyCache.get(r);
      if (cached !== undefined) return cached;
    }
    let pk = this.paramKeyCache.get(r.cellKey);
    if (pk === undefined) {
      const p: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.params)) if (!this.variantKeys.has(k)) p[k] = v;
      pk = canonicalJson(p);
      this.paramKeyCache.set(r.cellKey, pk);
    }
    // Tags named like a variant-defining param (binllm-lm tags ppl with `kv`) describe the
    // variant itself, so they are left out of the key like the param is.
    const tags: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.tags)) if (!dropTags?.has(k) && !this.variantKeys.has(k)) tags[k] = v;
    const key = `${r.seed}\u0000${r.gpu}\u0000${pk}\u0000${canonicalJson(tags)}`;
    if (plain) this.matchKeyCache.set(r, key);
    return key;
  }

  paramsKey(r: MetricRow): string {
    this.matchKey(r);
    return this.paramKeyCache.get(r.cellKey)!;
  }

  /** Why a partner in `variant` for this row is missing, in words. */
  explainMissing(partnerVariant: string, metric: string, r: MetricRow): string {
    const cells = this.cellsByVariantSeedGpu.get(`${partnerVariant}\u0000${r.seed}\u0000${r.gpu}`) ?? [];
    const own = this.paramsKey(r);
    const sameParams = cells.filter((c) => {
      if (!c.params) return false;
      const p: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c.params)) if (!this.variantKeys.has(k)) p[k] = v;
      return canonicalJson(p) === own;
    });
    const relevant = sameParams.length ? sameParams : cells;
    const bad = relevant.filter((c) => c.status !== 'ok' && c.status !== 'reused');
    if (bad.length) {
      return `no ${partnerVariant} ${metric} for seed ${r.seed} on ${r.gpu}: its cell is ${bad[0].status}${bad[0].reason ? ` (${bad[0].reason})` : ''}`;
    }
    if (relevant.length) {
      return `no ${partnerVariant} ${metric} for seed ${r.seed} on ${r.gpu} with the same coordinates: its cell ran but reported no matching row`;
    }
    return `no ${partnerVariant} ${metric} for seed ${r.seed} on ${r.gpu}: no such cell in this sweep`;
  }
}

export interface Pair {
  seed: number;
  gpu: string;
  grid: GridPoint;
  /** flat coordinates (gpu, params.*, tags.*) of the variant observation (computed on first use) */
  readonly coords: Record<string, unknown>;
  variantValue: number;
  /** null for `single` pairings */
  baselineValue: number | null;
  variantCell: string;
  baselineCell: string | null;
}

export interface PairingResult {
  pairs: Pair[];
  unmatched: UnmatchedObservation[];
  /** variant and baseline labels and the metric names used */
  variant: string;
  baseline: string;
  metric: string;
  baselineMetric: string | null;
}

function makePair(r: MetricRow, vk: ReadonlySet<string>, gridKeys: readonly string[], baselineValue: number | null, baselineCell: string | null, dropTags?: ReadonlySet<string>): Pair {
  let coords: Record<string, unknown> | undefined;
  return {
    seed: r.seed, gpu: r.gpu, grid: gridPoint(r, gridKeys), variantValue: r.value, baselineValue, variantCell: r.cellKey, baselineCell,
    get coords() { return (coords ??= rowCoordinates(r, vk, dropTags)); },
  };
}

/** Pairs observations for one comparison (see the module doc). */
export function pairComparison(index: RowIndex, comparison: string, pairing: Pairing, gridKeys: readonly string[]): PairingResult {
  const pairs: Pair[] = [];
  const unmatched: UnmatchedObservation[] = [];
  const vk = index.variantKeys;
  const unmatchedOf = (r: MetricRow, reason: string, dropTags?: ReadonlySet<string>): UnmatchedObservation => ({
    comparison, variant: r.variant, metric: r.metric, seed: r.seed, gpu: r.gpu, grid: gridPoint(r, gridKeys),
    coordinates: rowCoordinates(r, vk, dropTags), cellKey: r.cellKey, reason,
  });

  switch (pairing.kind) {
    case 'single': {
      for (const r of index.rows(pairing.variant, pairing.metric)) {
        pairs.push(makePair(r, vk, gridKeys, null, null));
      }
      return { pairs, unmatched, variant: pairing.variant, baseline: 'threshold', metric: pairing.metric, baselineMetric: null };
    }
    case 'across-variants': {
      const base = new Map<string, MetricRow[]>();
      for (const r of index.rows(pairing.baseline, pairing.metric)) {
        const k = index.matchKey(r);
        const list = base.get(k);
        if (list) list.push(r);
        else base.set(k, [r]);
      }
      const used = new Set<string>();
      const seenVariant = new Set<string>();
      for (const r of index.rows(pairing.variant, pairing.metric)) {
        const k = index.matchKey(r);
        if (seenVariant.has(k)) {
          unmatched.push(unmatchedOf(r, `duplicate ${pairing.variant} observation (same seed and coordinates as another row); only the first is used`));
          continue;
        }
        seenVariant.add(k);
        const partners = base.get(k);
        if (!partners) {
          unmatched.push(unmatchedOf(r, index.explainMissing(pairing.baseline, pairing.metric, r)));
          continue;
        }
        used.add(k);
        const b = partners[0];
        for (const extra of partners.slice(1)) {
          unmatched.push(unmatchedOf(extra, `duplicate ${pairing.baseline} observation (same seed and coordinates as another row); only the first is used`));
        }
        pairs.push(makePair(r, vk, gridKeys, b.value, b.cellKey));
      }
      for (const [k, rows] of base) {
        if (used.has(k)) continue;
        for (const r of rows) unmatched.push(unmatchedOf(r, index.explainMissing(pairing.variant, pairing.metric, r)));
      }
      return { pairs, unmatched, variant: pairing.variant, baseline: pairing.baseline, metric: pairing.metric, baselineMetric: null };
    }
    case 'within-run': {
      const byCell = new Map<string, { v: MetricRow[]; b: MetricRow[] }>();
      const slot = (cell: string) => {
        let s = byCell.get(cell);
        if (!s) byCell.set(cell, (s = { v: [], b: [] }));
        return s;
      };
      for (const r of index.rows(pairing.variant, pairing.variantMetric)) slot(r.cellKey).v.push(r);
      for (const r of index.rows(pairing.variant, pairing.baselineMetric)) slot(r.cellKey).b.push(r);
      for (const { v, b } of byCell.values()) {
        const vTags = new Set<string>();
        const bTags = new Set<string>();
        for (const r of v) for (const k of Object.keys(r.tags)) vTags.add(k);
        for (const r of b) for (const k of Object.keys(r.tags)) bTags.add(k);
        const specific = new Set<string>();
        for (const k of vTags) if (!bTags.has(k)) specific.add(k);
        for (const k of bTags) if (!vTags.has(k)) specific.add(k);
        const key = (r: MetricRow) => {
          const t: Record<string, unknown> = {};
          for (const [k, val] of Object.entries(r.tags)) if (!specific.has(k)) t[k] = val;
          return canonicalJson(t);
        };
        const bByKey = new Map<string, MetricRow[]>();
        for (const r of b) {
          const k = key(r);
          const list = bByKey.get(k);
          if (list) list.push(r);
          else bByKey.set(k, [r]);
        }
        const vCount = new Map<string, number>();
        for (const r of v) vCount.set(key(r), (vCount.get(key(r)) ?? 0) + 1);
        const used = new Set<string>();
        for (const r of v) {
          const k = key(r);
          const partners = bByKey.get(k);
          if (!partners) {
            unmatched.push(unmatchedOf(r, `no ${pairing.baselineMetric} row in the same cell with the same tags (${k})`));
            continue;
          }
          if (partners.length > 1 || (vCount.get(k) ?? 0) > 1) {
            unmatched.push(unmatchedOf(r, `ambiguous within-run pair: ${vCount.get(k)} ${pairing.variantMetric} and ${partners.length} ${pairing.baselineMetric} rows share the tags ${k}`));
            continue;
          }
          used.add(k);
          pairs.push(makePair(r, vk, gridKeys, partners[0].value, partners[0].cellKey, specific));
        }
        for (const [k, rows] of bByKey) {
          if (used.has(k)) continue;
          for (const r of rows) {
            if ((vCount.get(k) ?? 0) > 1 || rows.length > 1) unmatched.push(unmatchedOf(r, `ambiguous within-run pair for tags ${k}`));
            else unmatched.push(unmatchedOf(r, `no ${pairing.variantMetric} row in the same cell with the same tags (${k})`));
          }
        }
      }
      return {
        pairs, unmatched, variant: pairing.variant, baseline: pairing.variant, metric: pairing.variantMetric, baselineMetric: pairing.baselineMetric,
      };
    }
    default: {
      const never: never = pairing;
      throw new AnalysisInputError(`unknown pairing kind ${JSON.stringify(never)}`);
    }
  }
}

/** Per-seed data of one grid point, ready for the tests. */
export interface PointData {
  grid: GridPoint;
  seeds: number[];
  /** per-seed variant values (aggregated on the scale) */
  v: number[];
  /** per-seed baseline values; null for single pairings */
  b: number[] | null;
  /** non-grid coordinates that varied among the pairs of one seed and were averaged over */
  aggregatedOver: string[];
  /** the pairs behind this point */
  pairs: Pair[];
}

function meanOnScale(values: number[], scale: 'absolute' | 'log', what: string): number {
  if (values.length === 1) return values[0];
  if (scale === 'log') {
    let s = 0;
    for (const x of values) {
      if (!(x > 0)) throw new AnalysisInputError(`${what}: a log-scale comparison needs positive values, got ${x}`);
      s += Math.log(x);
    }
    return Math.exp(s / values.length);
  }
  let s = 0;
  for (const x of values) s += x;
  return s / values.length;
}

/** Groups pairs by grid point (ordered) and seed (ascending), averaging within a seed on `scale`. */
export function aggregatePoints(pairs: readonly Pair[], gridKeys: readonly string[], scale: 'absolute' | 'log', label: string): PointData[] {
  const byGrid = new Map<string, { grid: GridPoint; bySeed: Map<number, Pair[]> }>();
  for (const p of pairs) {
    const id = gridId(p.grid, gridKeys);
    let g = byGrid.get(id);
    if (!g) byGrid.set(id, (g = { grid: p.grid, bySeed: new Map() }));
    let s = g.bySeed.get(p.seed);
    if (!s) g.bySeed.set(p.seed, (s = []));
    s.push(p);
  }
  const gridNames = gridCoordinateNames(gridKeys);
  const points: PointData[] = [];
  for (const { grid, bySeed } of byGrid.values()) {
    const seeds = [...bySeed.keys()].sort((a, b) => a - b);
    const v: number[] = [];
    const b: number[] = [];
    const varied = new Set<string>();
    const all: Pair[] = [];
    let single = false;
    for (const seed of seeds) {
      const ps = bySeed.get(seed)!;
      all.push(...ps);
      if (ps.length > 1) {
        const first = ps[0].coords;
        for (const p of ps.slice(1)) {
          for (const k of new Set([...Object.keys(first), ...Object.keys(p.coords)])) {
            if (!gridNames.has(k) && canonicalJson(first[k]) !== canonicalJson(p.coords[k])) varied.add(k);
          }
        }
      }
      const what = `${label} at ${formatGrid(grid)}, seed ${seed}`;
      v.push(meanOnScale(ps.map((p) => p.variantValue), scale, what));
      if (ps[0].baselineValue === null) single = true;
      else b.push(meanOnScale(ps.map((p) => p.baselineValue as number), scale, what));
    }
    points.push({ grid, seeds, v, b: single ? null : b, aggregatedOver: [...varied].sort(), pairs: all });
  }
  points.sort((x, y) => compareGrid(x.grid, y.grid, gridKeys));
  return points;
}
