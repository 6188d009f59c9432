// Line chart with 95% CI bands and reference lines: metric vs a grid axis (code length, context
// length), one series per variant. Axes carry ticks and titles with units; a legend names every
// series, the band and each reference line.
import { axisTitle, circle, fitText, line, polygon, polyline, svgDocument, text, textWidth } from './elements.ts';
import { legend, type LegendItem } from './legend.ts';
import { REF_STYLES, seriesColor, type RefStyle } from './palette.ts';
import { autoScaleKind, makeScale, padExtent, type ScaleKind } from './scale.ts';
import { fmtNum } from '../format.ts';

export interface LinePoint { x: number; y: number | null; lo?: number | null; hi?: number | null; n?: number }
export interface LineSeries { name: string; points: LinePoint[]; dashed?: boolean; color?: string }
export interface RefLine { value: number; label: string; style?: RefStyle }

export interface LineChartSpec {
  title: string;
  xLabel: string;
  xUnit?: string;
  yLabel: string;
  yUnit?: string;
  xScale?: ScaleKind | 'auto';
  yScale?: 'linear' | 'log10';
  series: LineSeries[];
  /** horizontal reference lines (thresholds, margins) */
  refLines?: RefLine[];
  width?: number;
  plotHeight?: number;
  /** what the band is, for the legend */
  bandLabel?: string;
}

const fin = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 600;
  const plotH = spec.plotHeight ?? 230;
  const refs = spec.refLines ?? [];
  const series = spec.series.map((s, i) => ({ ...s, color: s.color ?? seriesColor(i), points: [...s.points].filter((p) => fin(p.x)).sort((a, b) => a.x - b.x) }));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo, p.hi])).filter(fin);
  const xKind = spec.xScale && spec.xScale !== 'auto' ? spec.xScale : autoScaleKind(xs);
  const yKind = spec.yScale ?? 'linear';

  const y = makeScale(yKind, padExtent(ys, yKind, refs.map((r) => r.value)), [0, 0]);
  const yLabels = y.ticks.map((t) => y.format(t));
  const left = 30 + Math.max(24, ...yLabels.map((l) => textWidth(l, 11))) + 8;
  const right = 18;
  const top = 34;
  const plotW = W - left - right;

  const hasBand = series.some((s) => s.points.some((p) => fin(p.lo) && fin(p.hi)));
  const items: LegendItem[] = series.map((s) => ({ label: s.name, color: s.color, kind: 'dot' as const, dash: s.dashed ? '5 3' : '' }));
  if (hasBand) items.push({ label: spec.bandLabel ?? '95% CI of the mean', color: '#555555', kind: 'band' });
  for (const r of refs) items.push({ label: r.label, color: REF_STYLES[r.style ?? 'threshold'].stroke, kind: 'ref', dash: REF_STYLES[r.style ?? 'threshold'].dash });
  const xTitleY = top + plotH + 38;
  const leg = legend(items, left, xTitleY + 10, plotW);
  const H = Math.ceil(xTitleY + 10 + leg.height + 6);

  const yS = makeScale(yKind, padExtent(ys, yKind, refs.map((r) => r.value)), [top + plotH, top]);
  const xS = makeScale(xKind, xKind === 'linear' ? padExtent(xs, xKind) : padExtent(xs, xKind), [left, left + plotW]);
  const body: string[] = [];
  body.push(text(left, 20, fitText(spec.title, 14, W - left), { size: 14, weight: '600' }));
  // grid and ticks
  for (const t of yS.ticks) {
    const py = yS.map(t);
    body.push(line(left, py, left + plotW, py, '#e6e6e6'), text(left - 6, py, yS.format(t), { size: 11, anchor: 'end', baseline: 'middle', fill: '#333' }));
  }
  const xTicks = xS.ticks.length ? xS.ticks : [];
  for (const t of xTicks) {
    const pxx = xS.map(t);
    body.push(line(pxx, top, pxx, top + plotH, '#f0f0f0'), line(pxx, top + plotH, pxx, top + plotH + 5, '#333'), text(pxx, top + plotH + 18, xS.format(t), { size: 11, anchor: 'middle', fill: '#333' }));
  }
  body.push(line(left, top + plotH, left + plotW, top + plotH, '#333'), line(left, top, left, top + plotH, '#333'));
  body.push(text(left + plotW / 2, xTitleY, axisTitle(spec.xLabel, spec.xUnit) + (xKind !== 'linear' ? ' · log scale' : ''), { size: 12, anchor: 'middle' }));
  body.push(text(14, top + plotH / 2, fitText(axisTitle(spec.yLabel, spec.yUnit), 12, plotH), { size: 12, anchor: 'middle', rotate: -90, baseline: 'middle' }));
  // bands, then lines and points on top
  for (const s of series) {
    let run: LinePoint[] = [];
    const flush = () => {
      if (run.length >= 2) body.push(polygon([...run.map((p): [number, number] => [xS.map(p.x), yS.map(p.hi as number)]), ...[...run].reverse().map((p): [number, number] => [xS.map(p.x), yS.map(p.lo as number)])], s.color, 0.16));
      else if (run.length === 1) { const p = run[0]; body.push(line(xS.map(p.x), yS.map(p.lo as number), xS.map(p.x), yS.map(p.hi as number), s.color, 6, '').replace('/>', ' stroke-opacity="0.25"/>')); }
      run = [];
    };
    for (const p of s.points) { if (fin(p.lo) && fin(p.hi)) run.push(p); else flush(); }
    flush();
  }
  for (const r of refs) {
    const st = REF_STYLES[r.style ?? 'threshold'];
    const py = yS.map(r.value);
    body.push(line(left, py, left + plotW, py, st.stroke, 1.5, st.dash));
  }
  for (const s of series) {
    const pts = s.points.filter((p) => fin(p.y));
    let seg: Array<[number, number]> = [];
    for (const p of s.points) {
      if (fin(p.y)) seg.push([xS.map(p.x), yS.map(p.y)]);
      else { if (seg.length > 1) body.push(polyline(seg, s.color, 2, s.dashed ? '5 3' : '')); seg = []; }
    }
    if (seg.length > 1) body.push(polyline(seg, s.color, 2, s.dashed ? '5 3' : ''));
    for (const p of pts) {
      const tip = `${s.name}: x = ${fmtNum(p.x)}, mean = ${fmtNum(p.y)}${fin(p.lo) && fin(p.hi) ? `, 95% CI [${fmtNum(p.lo)}, ${fmtNum(p.hi)}]` : ''}${p.n !== undefined ? `, n = ${p.n}` : ''}`;
      body.push(circle(xS.map(p.x), yS.map(p.y as number), 3.5, s.color, tip));
    }
  }
  if (!series.some((s) => s.points.some((p) => fin(p.y)))) {
    body.push(text(left + plotW / 2, top + plotH / 2, 'no data in this sweep', { size: 13, anchor: 'middle', fill: '#b00' }));
  }
  body.push(leg.svg);
  const desc = `${spec.yLabel} vs ${spec.xLabel}; series: ${series.map((s) => s.name).join(', ')}`;
  return svgDocument(W, H, spec.title, desc, body);
}
