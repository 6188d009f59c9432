// Dot-and-whisker chart: one row per item (task, grid point, task family), a dot at the estimate
// and a whisker over its confidence interval, with vertical reference lines (0, −margin). Open
// ends (one-sided bounds, missing ends) are drawn as arrows to the frame.
import { axisTitle, circle, fitText, line, svgDocument, text, textWidth } from './elements.ts';
import { legend, type LegendItem } from './legend.ts';
import { REF_STYLES, seriesColor } from './palette.ts';
import { makeScale, padExtent } from './scale.ts';
import { fmtNum } from '../format.ts';
import type { RefLine } from './line-chart.ts';

export interface DotRow { label: string; est: number | null; lo: number | null; hi: number | null; series?: string; note?: string }

export interface DotWhiskerSpec {
  title: string;
  xLabel: string;
  xUnit?: string;
  rows: DotRow[];
  refLines?: RefLine[];
  /** what the whisker is, for the legend */
  whiskerLabel?: string;
  width?: number;
}

const fin = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function dotWhisker(spec: DotWhiskerSpec): string {
  const W = spec.width ?? 600;
  const rows = spec.rows;
  const refs = spec.refLines ?? [];
  const seriesNames = [...new Set(rows.map((r) => r.series ?? ''))];
  const colorOf = (s: string | undefined) => seriesColor(Math.max(0, seriesNames.indexOf(s ?? '')));
  const labelSize = 11;
  const labelW = Math.min(220, Math.max(40, ...rows.map((r) => textWidth(r.label, labelSize))));
  const left = labelW + 14;
  const right = 20;
  const top = 34;
  const rowH = 22;
  const plotH = Math.max(1, rows.length) * rowH + 8;
  const plotW = W - left - right;
  const values = rows.flatMap((r) => [r.est, r.lo, r.hi]).filter(fin);
  const x = makeScale('linear', padExtent(values, 'linear', refs.map((r) => r.value)), [left, left + plotW], 6);

  const items: LegendItem[] = seriesNames.length > 1 || seriesNames[0]
    ? seriesNames.map((s, i) => ({ label: s || 'estimate', color: seriesColor(i), kind: 'dot' as const }))
    : [{ label: 'mean difference', color: seriesColor(0), kind: 'dot' }];
  items.push({ label: spec.whiskerLabel ?? '95% CI', color: '#333333', kind: 'line' });
  for (const r of refs) items.push({ label: r.label, color: REF_STYLES[r.style ?? 'zero'].stroke, kind: 'ref', dash: REF_STYLES[r.style ?? 'zero'].dash });
  const xTitleY = top + plotH + 38;
  const leg = legend(items, left, xTitleY + 10, plotW);
  const H = Math.ceil(xTitleY + 10 + leg.height + 6);

  const body: string[] = [];
  body.push(text(8, 20, fitText(spec.title, 14, W - 16), { size: 14, weight: '600' }));
  for (const t of x.ticks) {
    const p = x.map(t);
    body.push(line(p, top, p, top + plotH, '#eeeeee'), line(p, top + plotH, p, top + plotH + 5, '#333'), text(p, top + plotH + 18, x.format(t), { size: 11, anchor: 'middle', fill: '#333' }));
  }
  body.push(line(left, top + plotH, left + plotW, top + plotH, '#333'), line(left, top, left, top + plotH, '#333'));
  body.push(text(left + plotW / 2, xTitleY, axisTitle(spec.xLabel, spec.xUnit), { size: 12, anchor: 'middle' }));
  for (const r of refs) {
    const st = REF_STYLES[r.style ?? 'zero'];
    const p = x.map(r.value);
    body.push(line(p, top, p, top + plotH, st.stroke, 1.5, st.dash));
  }
  const [x0, x1] = x.range;
  rows.forEach((r, i) => {
    const cy = top + 4 + i * rowH + rowH / 2;
    const color = colorOf(r.series);
    if (i % 2 === 1) body.push(`<rect x="${left + 1}" y="${cy - rowH / 2}" width="${plotW - 1}" height="${rowH}" fill="#f7f7f7"/>`);
    body.push(text(left - 6, cy, fitText(r.label, labelSize, labelW), { size: labelSize, anchor: 'end', baseline: 'middle' }));
    if (!fin(r.est)) {
      body.push(text(left + 8, cy, r.note ?? 'no estimate (missing data)', { size: 11, baseline: 'middle', fill: '#b00' }));
      return;
    }
    const lo = fin(r.lo) ? x.map(r.lo) : null;
    const hi = fin(r.hi) ? x.map(r.hi) : null;
    if (lo !== null || hi !== null) {
      const a = lo ?? x0;
      const b = hi ?? x1;
      body.push(line(a, cy, b, cy, '#333333', 1.5));
      if (lo !== null) body.push(line(lo, cy - 5, lo, cy + 5, '#333333', 1.5)); else body.push(`<path d="M${x0 + 6},${cy - 4} L${x0},${cy} L${x0 + 6},${cy + 4}" fill="none" stroke="#333"/>`);
      if (hi !== null) body.push(line(hi, cy - 5, hi, cy + 5, '#333333', 1.5)); else body.push(`<path d="M${x1 - 6},${cy - 4} L${x1},${cy} L${x1 - 6},${cy + 4}" fill="none" stroke="#333"/>`);
    }
    const tip = `${r.label}${r.series ? ` (${r.series})` : ''}: ${fmtNum(r.est)}; CI [${fin(r.lo) ? fmtNum(r.lo) : '−∞'}, ${fin(r.hi) ? fmtNum(r.hi) : '∞'}]${r.note ? `; ${r.note}` : ''}`;
    body.push(circle(x.map(r.est), cy, 4.5, color, tip));
  });
  if (!rows.length) body.push(text(left + plotW / 2, top + plotH / 2, 'no data in this sweep', { size: 13, anchor: 'middle', fill: '#b00', baseline: 'middle' }));
  body.push(leg.svg);
  return svgDocument(W, H, spec.title, `${spec.xLabel} per row: ${rows.map((r) => r.label).join(', ')}`, body);
}
