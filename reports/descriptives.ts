// Descriptive rows of the report from SQL aggregates (n, mean, sd): the 95% CI is the two-sided
// t interval mean ± t(0.975, n − 1)·sd/√n, computed here because SQL has no t quantile.
import { tCriticalTwoSided } from '../hypotheses/stats/descriptives.ts';
import type { Scalar } from '../hypotheses/analysis/types.ts';
import type { DescriptiveRow } from './types.ts';

const tCache = new Map<number, number>();
function tCrit(df: number): number {
  let t = tCache.get(df);
  if (t === undefined) { t = tCriticalTwoSided(0.95, df); tCache.set(df, t); }
  return t;
}

export function ciFromAggregate(n: number, mean: number | null, sd: number | null): [number | null, number | null] {
  if (mean === null || sd === null || !Number.isFinite(mean) || !Number.isFinite(sd) || n < 2) return [null, null];
  const half = tCrit(n - 1) * sd / Math.sqrt(n);
  return [mean - half, mean + half];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number.isFinite(Number(v)) ? Number(v) : null);

/** One row of queries.descriptives (pg returns numerics as numbers or strings) → DescriptiveRow. */
export function descriptiveFromSql(r: Record<string, unknown>): DescriptiveRow {
  const n = Number(r.n);
  const mean = num(r.mean);
  const sd = num(r.sd);
  const [ciLow, ciHigh] = ciFromAggregate(n, mean, sd);
  return {
    variant: String(r.variant), gpu: String(r.gpu), metric: String(r.metric),
    point: (r.point ?? {}) as Record<string, Scalar>,
    n, seeds: Number(r.seeds), mean, sd, ciLow, ciHigh, min: num(r.min), max: num(r.max),
  };
}

/** Compares grid-point values: numbers numerically, then strings. */
export function compareScalar(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

export function comparePoints(a: Record<string, unknown>, b: Record<string, unknown>, keys: string[]): number {
  for (const k of keys) { const c = compareScalar(a[k], b[k]); if (c) return c; }
  return 0;
}
