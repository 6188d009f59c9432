// Axis scales for the SVG charts: linear or logarithmic, mapping data to pixels, with "nice" ticks.
import { fmtNum } from '../format.ts';

export type ScaleKind = 'linear' | 'log2' | 'log10';

export interface Scale {
  kind: ScaleKind;
  domain: [number, number];
  range: [number, number];
  map(x: number): number;
  ticks: number[];
  format(x: number): string;
}

/** 1, 2, 2.5, 5 × 10^k steps giving about `count` ticks over [lo, hi]. */
export function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/** Pads a data extent so points do not sit on the frame, and widens a degenerate one. */
export function padExtent(values: number[], kind: ScaleKind, include: number[] = []): [number, number] {
  const vs = [...values, ...include].filter((v) => Number.isFinite(v) && (kind === 'linear' || v > 0));
  if (!vs.length) return kind === 'linear' ? [0, 1] : [1, 10];
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (kind !== 'linear') return lo === hi ? [lo / 2, hi * 2] : [lo, hi];
  if (lo === hi) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const pad = (hi - lo) * 0.06;
  // non-negative data keeps a non-negative axis (no "−2000 tokens/s" tick)
  return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
}

/** Compact tick label: 1024-multiples as "4k", otherwise ≤ 4 significant digits. */
export function tickLabel(x: number, binary: boolean): string {
  if (binary && x >= 1024 && x % 1024 === 0) return `${fmtNum(x / 1024, 4)}k`;
  if (Math.abs(x) >= 1e6 && !binary) return fmtNum(x, 3);
  return fmtNum(x, 4);
}

export function makeScale(kind: ScaleKind, extent: [number, number], range: [number, number], tickCount = 6): Scale {
  let [lo, hi] = extent;
  let ticks: number[];
  if (kind === 'linear') {
    const step = niceStep(lo, hi, tickCount);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    ticks = [];
    for (let t = lo; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  } else {
    const base = kind === 'log2' ? 2 : 10;
    const lg = (v: number) => Math.log(v) / Math.log(base);
    const a = Math.floor(lg(lo) + 1e-9);
    const b = Math.ceil(lg(hi) - 1e-9);
    lo = base ** a;
    hi = base ** Math.max(b, a + 1);
    const every = Math.max(1, Math.ceil((b - a) / 8));
    ticks = [];
    for (let e = a; e <= Math.max(b, a + 1); e += every) ticks.push(base ** e);
  }
  const [r0, r1] = range;
  const t = kind === 'linear' ? (v: number) => v : kind === 'log2' ? Math.log2 : Math.log10;
  const d0 = t(lo);
  const d1 = t(hi);
  const map = (x: number) => r0 + ((t(x) - d0) / (d1 - d0 || 1)) * (r1 - r0);
  const binary = kind === 'log2';
  return { kind, domain: [lo, hi], range, map, ticks, format: (x) => tickLabel(x, binary) };
}

/** Chooses log2 for power-of-two grids spanning ≥ 8×, log10 for other wide positive ranges. */
export function autoScaleKind(values: number[]): ScaleKind {
  const vs = values.filter((v) => Number.isFinite(v));
  if (vs.length < 2 || vs.some((v) => v <= 0)) return 'linear';
  const ratio = Math.max(...vs) / Math.min(...vs);
  const pow2 = vs.every((v) => Number.isInteger(Math.log2(v)));
  if (pow2 && ratio >= 4) return 'log2';
  return ratio >= 8 ? 'log10' : 'linear';
}
