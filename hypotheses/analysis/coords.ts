/**
 * Coordinates of an observation: the GPU, the cell's kernel params (minus the params that define
 * the variant) and the metric's tags. Two observations of different variants pair when they share
 * the seed and all of these; the comparison's grid keys pick the grid point.
 */
import type { HypothesisDefinition } from '../definition.ts';
import type { GridPoint, MetricRow, Scalar } from './types.ts';

/** JSON with object keys sorted, so equal coordinates give equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

/** Param keys that define a variant (e.g. `binarizer`, `kv`, `quant`): never used for matching. */
export function variantDefiningKeys(def: HypothesisDefinition): Set<string> {
  const keys = new Set<string>();
  for (const v of Object.values(def.variants)) for (const k of Object.keys(v.params)) keys.add(k);
  return keys;
}

export function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Value of a grid key for a row: `gpu` from the row, otherwise the tag, otherwise a scalar param, otherwise null. */
export function gridValue(row: MetricRow, key: string): Scalar | null {
  if (key === 'gpu') return row.gpu;
  if (key === 'seed') return row.seed;
  const t = row.tags[key];
  if (t !== undefined) return t;
  const p = row.params[key];
  return isScalar(p) ? p : null;
}

export function gridPoint(row: MetricRow, keys: readonly string[]): GridPoint {
  const g: GridPoint = {};
  for (const k of keys) g[k] = gridValue(row, k);
  return g;
}

export function gridId(g: GridPoint, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => g[k] ?? null));
}

/** Orders grid points by their keys: numbers ascending, then strings, null last. */
export function compareGrid(a: GridPoint, b: GridPoint, keys: readonly string[]): number {
  for (const k of keys) {
    const x = a[k] ?? null;
    const y = b[k] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

export function formatGrid(g: GridPoint): string {
  const parts = Object.entries(g).map(([k, v]) => `${k}=${v === null ? 'n/a' : String(v)}`);
  return parts.length ? parts.join(', ') : '(all)';
}

/** Flat coordinates of a row for matching and for reporting: gpu, params.* (minus variant keys), tags.*. */
export function rowCoordinates(row: MetricRow, variantKeys: ReadonlySet<string>, dropTags?: ReadonlySet<string>): Record<string, unknown> {
  const c: Record<string, unknown> = { gpu: row.gpu };
  for (const [k, v] of Object.entries(row.params)) if (!variantKeys.has(k)) c[`params.${k}`] = v;
  // A tag named like a variant-defining param (the lm kernel tags ppl with kv) describes the variant,
  // not a shared coordinate, so it must not keep variant and baseline apart.
  for (const [k, v] of Object.entries(row.tags)) if (!dropTags?.has(k) && !variantKeys.has(k)) c[`tags.${k}`] = v;
  return c;
}

/** The coordinate names a grid key can come from (so they are not reported as "averaged over"). */
export function gridCoordinateNames(keys: readonly string[]): Set<string> {
  const s = new Set<string>();
  for (const k of keys) {
    if (k === 'gpu') s.add('gpu');
    s.add(`tags.${k}`);
    s.add(`params.${k}`);
  }
  return s;
}
