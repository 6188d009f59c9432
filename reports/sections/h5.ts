// H5's own report blocks: whether energy was measured on each GPU generation (said plainly when it
// was not), the crossover context L* from the verdict, tokens/s and joules/token of bin-kv vs int4
// per (GPU, L), and a chart of the throughput and energy ratios vs L with the crossover marked.
import { code, strong, warn, type Block, type Inline } from '../document.ts';
import { fmtInt, fmtNum } from '../format.ts';
import { lineChart, type LineSeries } from '../svg/line-chart.ts';
import type { DescriptiveRow, HypothesisSection } from '../types.ts';

const VARIANT = 'bin-kv';

function meanAt(rows: DescriptiveRow[], variant: string, gpu: string, metric: string, L: number): number | null {
  const r = rows.find((x) => x.variant === variant && x.gpu === gpu && x.metric === metric && Number(x.point.ctx) === L);
  return r?.mean ?? null;
}

/** Blocks placed before H5's charts (reports/sections/hypothesis.ts). */
export function h5Blocks(s: HypothesisSection): Block[] {
  const rows = s.descriptives.rows;
  const base = s.design.baseline ?? 'int4';
  const gpus = [...new Set(rows.map((r) => r.gpu))].sort();
  if (!gpus.length) return [];
  const kn = (s.verdict?.keyNumbers ?? {}) as { crossoverL?: Record<string, number | null>; tokensPerSecondMargin?: number };
  const crossover = kn.crossoverL ?? {};
  const measured = (gpu: string) => rows.some((r) => r.gpu === gpu && r.metric === 'joules_per_token' && r.n > 0);
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: 'Energy, throughput and the crossover L*', id: 'h5-crossover' }];
  const without = gpus.filter((g) => !measured(g));
  if (without.length) {
    blocks.push({
      kind: 'paragraph', tone: 'warn',
      content: [warn(`Energy was not measured on ${without.join(', ')}`), ': the kernel found no readable energy counter there (RAPL through powercap on a CPU, NVML on a GPU), so it stored no joules at all rather than a modelled figure; the runs name the missing source in ', code("runs.build->>'energy'"), '. Only tokens/s and bandwidth are real measurements on those devices, and H5 cannot be decided on them.'],
    });
  }
  const withE = gpus.filter(measured);
  if (withE.length) blocks.push({ kind: 'paragraph', content: [`Energy was measured on ${withE.join(', ')} (hardware counters: NVML total-energy deltas on GPUs, RAPL on CPUs; gross and idle-subtracted joules/token).`] });
  blocks.push({
    kind: 'table', caption: 'Crossover L* per device: the smallest measured L from which bin-kv uses fewer joules/token with non-inferior tokens/s at every longer L (verdicts.key_numbers)',
    columns: [{ header: 'Device' }, { header: 'Energy measured' }, { header: 'L*', align: 'right' }],
    rows: gpus.map((g) => [[strong(g)], [measured(g) ? 'yes' : warn('no')], [measured(g) ? (crossover[g] != null ? fmtInt(crossover[g]) : 'none') : '— (no energy)']]),
    ...(s.verdict ? { sql: s.verdict.sql } : {}),
  });
  const tableRows: Inline[][][] = [];
  const ratioSeries: LineSeries[] = [];
  for (const g of gpus) {
    const Ls = [...new Set(rows.filter((r) => r.gpu === g && r.metric === 'tokens_per_s').map((r) => Number(r.point.ctx)))].filter(Number.isFinite).sort((a, b) => a - b);
    const tps: LineSeries = { name: `${g} · tokens/s ${VARIANT} / ${base}`, points: [] };
    const jpt: LineSeries = { name: `${g} · J/token ${VARIANT} / ${base}`, points: [], dashed: true };
    for (const L of Ls) {
      const tb = meanAt(rows, VARIANT, g, 'tokens_per_s', L), t4 = meanAt(rows, base, g, 'tokens_per_s', L);
      const jb = meanAt(rows, VARIANT, g, 'joules_per_token', L), j4 = meanAt(rows, base, g, 'joules_per_token', L);
      const tr = tb !== null && t4 ? tb / t4 : null;
      const jr = jb !== null && j4 ? jb / j4 : null;
      tps.points.push({ x: L, y: tr });
      if (jr !== null) jpt.points.push({ x: L, y: jr });
      tableRows.push([[g], [fmtInt(L)], [fmtNum(tb)], [fmtNum(t4)], [tr === null ? '—' : `${fmtNum(tr, 3)}×`],
        [jb === null ? 'not measured' : fmtNum(jb)], [j4 === null ? 'not measured' : fmtNum(j4)]]);
    }
    ratioSeries.push(tps);
    if (jpt.points.length) ratioSeries.push(jpt);
  }
  blocks.push({
    kind: 'table', caption: `Means over seeds per (device, L): ${VARIANT} vs ${base}`,
    columns: [{ header: 'Device' }, { header: 'L', align: 'right' }, { header: `tokens/s ${VARIANT}`, align: 'right' }, { header: `tokens/s ${base}`, align: 'right' },
      { header: 'ratio', align: 'right' }, { header: `J/token ${VARIANT}`, align: 'right' }, { header: `J/token ${base}`, align: 'right' }],
    rows: tableRows,
    sql: s.descriptives.sql,
  });
  const margin = kn.tokensPerSecondMargin ?? (s.design.settings as { tokensPerSecondMargin?: number }).tokensPerSecondMargin ?? 0.01;
  const stars = Object.entries(crossover).filter(([, v]) => v != null).map(([g, v]) => `${g}: L* = ${fmtInt(v)}`);
  blocks.push({
    kind: 'charts', charts: [{
      svg: lineChart({
        title: `H5 · ${VARIANT} relative to ${base} vs context length`, xLabel: 'context length L', xUnit: 'tokens', yLabel: `${VARIANT} / ${base}`, yUnit: 'ratio',
        series: ratioSeries, refLines: [{ value: 1, label: 'parity', style: 'zero' }, { value: 1 - margin, label: `tokens/s margin (${fmtNum(margin * 100)}%)`, style: 'threshold' }],
      }),
      caption: `Solid: tokens/s ratio (above the margin line = non-inferior); dashed: joules/token ratio (below 1 = bin-kv uses less energy)${without.length ? `; no energy line for ${without.join(', ')} (not measured)` : ''}. ${stars.length ? `Crossover: ${stars.join(', ')}.` : 'No crossover L* was established.'} Ratios of the per-(device, L) means in the table above.`,
      alt: 'bin-kv over int4 ratios of tokens per second and joules per token versus context length',
    }],
  });
  return blocks;
}
