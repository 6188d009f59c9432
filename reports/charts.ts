// The charts that fit each hypothesis, drawn from the same rows as its tables: line charts from
// the descriptives (metric_rows), difference charts from stat_tests. Captions say which.
import type { TestRecord } from '../hypotheses/analysis/types.ts';
import { dotWhisker, type DotRow } from './svg/dot-whisker.ts';
import { lineChart, type LineSeries, type RefLine } from './svg/line-chart.ts';
import { seriesColor } from './svg/palette.ts';
import { fmtNum, fmtPoint } from './format.ts';
import { metricInfo } from './labels.ts';
import type { ComparisonInfo, DescriptiveRow, HypothesisSection } from './types.ts';

export interface Chart { svg: string; caption: string; alt: string }

const FROM_DESC = 'Points: means per variant and grid point from the descriptives table (metric_rows); band: two-sided 95% t interval over seeds.';
const FROM_TESTS = 'From the paired-t-two-sided rows of stat_tests (mean of per-seed differences, two-sided 95% CI); the verdict uses the one-sided tests in the table.';

const numeric = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Series of one metric vs a numeric grid axis, one per (variant × other point keys × GPU). */
function seriesFrom(rows: DescriptiveRow[], metric: string, xKey: string, opts: {
  variants: string[]; name?: (r: DescriptiveRow, rest: string) => string; colorKey?: (r: DescriptiveRow) => string; dashed?: (r: DescriptiveRow) => boolean;
}): { series: LineSeries[]; skipped: string[] } {
  const multiGpu = new Set(rows.map((r) => r.gpu)).size > 1;
  const groups = new Map<string, { rows: DescriptiveRow[]; sample: DescriptiveRow; rest: string }>();
  const skipped = new Set<string>();
  for (const r of rows) {
    if (r.metric !== metric) continue;
    if (numeric(r.point[xKey]) === null) { skipped.add(r.variant); continue; }
    const restPoint = Object.fromEntries(Object.entries(r.point).filter(([k]) => k !== xKey));
    const rest = [Object.keys(restPoint).length ? fmtPoint(restPoint) : '', multiGpu ? r.gpu : ''].filter(Boolean).join(', ');
    const key = `${r.variant}\u0000${rest}`;
    const g = groups.get(key) ?? { rows: [], sample: r, rest };
    g.rows.push(r);
    groups.set(key, g);
  }
  const colorKeys: string[] = [];
  // colour by variant (or colorKey) unless two series would then look identical; then by series
  const looks = [...groups.values()].map((g) => `${opts.colorKey?.(g.sample) ?? g.sample.variant}/${opts.dashed?.(g.sample) ?? false}`);
  const byIndex = new Set(looks).size < looks.length;
  const series = [...groups.values()].map((g, i) => {
    const ck = opts.colorKey?.(g.sample) ?? g.sample.variant;
    if (!colorKeys.includes(ck)) colorKeys.push(ck);
    const vi = byIndex ? i : opts.variants.indexOf(ck);
    return {
      name: opts.name?.(g.sample, g.rest) ?? (g.rest ? `${g.sample.variant} · ${g.rest}` : g.sample.variant),
      color: seriesColor(vi >= 0 ? vi : opts.variants.length + colorKeys.indexOf(ck)),
      dashed: opts.dashed?.(g.sample) ?? false,
      points: g.rows.map((r) => ({ x: numeric(r.point[xKey]) as number, y: r.mean, lo: r.ciLow, hi: r.ciHigh, n: r.n })),
    };
  });
  return { series, skipped: [...skipped] };
}

function twoSided(tests: TestRecord[], comparison: string): TestRecord[] {
  return tests.filter((t) => t.comparison === comparison && t.test === 'paired-t-two-sided');
}

function marginLines(c: ComparisonInfo | undefined): RefLine[] {
  const refs: RefLine[] = [{ value: 0, label: 'no difference', style: 'zero' }];
  if (c?.margin && c.scale !== 'log') {
    const v = c.direction === 'higher' ? -c.margin : c.margin;
    refs.push({ value: v, label: `non-inferiority margin ${fmtNum(v, 3)}`, style: 'margin' });
  }
  return refs;
}

function h1Charts(s: HypothesisSection): Chart[] {
  const rows = s.descriptives.rows;
  const variants = s.design.variants.map((v) => v.name);
  const threshold = Number(s.design.settings.overlapThreshold ?? s.design.comparisons.find((c) => c.threshold !== null)?.threshold ?? 0.95);
  const kValues = [...new Set(rows.filter((r) => r.metric === 'overlap_at_k').map((r) => String(r.point.k)))];
  const overlap = seriesFrom(rows, 'overlap_at_k', 'bits', { variants, dashed: (r) => kValues.length > 1 && String(r.point.k) !== kValues[0] });
  const ndcgB = seriesFrom(rows, 'ndcg_at_10_binary', 'bits', { variants, name: (r, rest) => `${r.variant} binary${rest ? ` · ${rest}` : ''}` });
  const floatRows = rows.filter((r) => r.metric === 'ndcg_at_10_float' && r.variant === (variants.find((v) => rows.some((x) => x.metric === 'ndcg_at_10_float' && x.variant === v && numeric(x.point.bits) !== null)) ?? ''));
  const ndcgF = seriesFrom(floatRows, 'ndcg_at_10_float', 'bits', { variants, name: (_r, rest) => `float (exact cosine)${rest ? ` · ${rest}` : ''}`, colorKey: () => 'float', dashed: () => true });
  const skipped = [...new Set([...overlap.skipped, ...ndcgB.skipped])];
  const skipNote = skipped.length ? ` Variants without a code-length axis (${skipped.join(', ')}: m = d) appear in the table only.` : '';
  return [
    {
      svg: lineChart({
        title: 'H1 · overlap@k vs code length', xLabel: 'code length m', xUnit: 'bits', yLabel: 'overlap@k', yUnit: 'fraction of top-k',
        series: overlap.series, refLines: [{ value: threshold, label: `threshold ${fmtNum(threshold, 3)}`, style: 'threshold' }],
      }),
      caption: `Mean top-k overlap of Hamming search with exact cosine search${kValues.length > 1 ? ` (solid k = ${kValues[0]}, dashed k = ${kValues.slice(1).join(', ')})` : ''}. The verdict asks the one-sided 95% lower bound to clear ${fmtNum(threshold, 3)}. ${FROM_DESC}${skipNote}`,
      alt: 'overlap at k versus code length',
    },
    {
      svg: lineChart({
        title: 'H1 · nDCG@10 vs code length', xLabel: 'code length m', xUnit: 'bits', yLabel: 'nDCG@10', yUnit: '0–1',
        series: [...ndcgB.series, ...ndcgF.series],
      }),
      caption: `Binary nDCG@10 per binarizer and float nDCG@10 on the same draws (dashed). ${FROM_DESC}${skipNote}`,
      alt: 'nDCG at 10 versus code length',
    },
  ];
}

function h2Charts(s: HypothesisSection): Chart[] {
  const c = s.design.comparisons.find((x) => x.metrics.startsWith('ppl')) ?? s.design.comparisons[0];
  const ratioMargin = Number(s.design.settings.pplRatio ?? (c?.margin ? Math.exp(c.margin) : 1.05));
  // The verdict's replication unit: with identical seeds (a fixed model and text) the per-window
  // tests (`<id>@window`) decide, and their CI is the one to draw.
  const unit = typeof s.verdict?.keyNumbers.unit === 'string' ? s.verdict.keyNumbers.unit : 'seed';
  const unitRows = c && unit !== 'seed' ? twoSided(s.tests.rows, `${c.id}@${unit}`) : [];
  const rows = unitRows.length ? unitRows : c ? twoSided(s.tests.rows, c.id) : [];
  const over = unitRows.length ? `per-${unit}` : 'per-seed';
  const pts = rows.map((t) => ({
    x: numeric(t.grid.ctx) ?? NaN,
    y: t.meanDiff === null ? null : Math.exp(t.meanDiff),
    lo: t.ciLow === null ? null : Math.exp(t.ciLow),
    hi: t.ciHigh === null ? null : Math.exp(t.ciHigh),
    n: t.n,
  })).filter((p) => Number.isFinite(p.x));
  const variants = s.design.variants.map((v) => v.name);
  // Bits per cached scalar (scales and fp16 residual tokens included) at the largest L, in the legend.
  const bitsAtMaxL = (variant: string): string => {
    const b = s.descriptives.rows.filter((r) => r.variant === variant && r.metric === 'kv_bits_per_scalar' && r.mean !== null)
      .sort((x, y) => (numeric(y.point.ctx) ?? 0) - (numeric(x.point.ctx) ?? 0))[0];
    return b ? ` (${fmtNum(b.mean as number, 3)} b/scalar)` : '';
  };
  const multiGpu = new Set(s.descriptives.rows.map((x) => x.gpu)).size > 1;
  const ppl = seriesFrom(s.descriptives.rows, 'ppl', 'ctx', { variants, name: (r) => r.variant + bitsAtMaxL(r.variant) + (multiGpu ? ` · ${r.gpu}` : ''), dashed: (r) => r.variant === s.design.baseline });
  return [
    {
      svg: lineChart({
        title: 'H2 · perplexity ratio vs context length', xLabel: 'context length L', xUnit: 'tokens', yLabel: 'ppl ratio bin-kv / int4', yUnit: '×',
        series: [{ name: 'geometric-mean ratio', points: pts }],
        refLines: [{ value: ratioMargin, label: `margin ×${fmtNum(ratioMargin, 4)}`, style: 'threshold' }, { value: 1, label: 'ratio 1 (no change)', style: 'zero' }],
        bandLabel: '95% CI (two-sided, exp of log CI)',
      }),
      caption: `exp(mean of ${over} log ppl differences) with its two-sided 95% CI (n = ${over.slice(4)}s), per context length; non-inferiority needs the one-sided upper bound below ${fmtNum(ratioMargin, 4)}. ${unitRows.length ? `From the paired-t-two-sided rows of stat_tests for ${c?.id}@${unit} (mean of per-${unit} differences, two-sided 95% CI); the verdict uses the one-sided tests in the table.` : FROM_TESTS}`,
      alt: 'perplexity ratio versus context length',
    },
    {
      svg: lineChart({ title: 'H2 · perplexity vs context length', xLabel: 'context length L', xUnit: 'tokens', yLabel: 'perplexity', yUnit: 'per token', series: ppl.series }),
      caption: `Perplexity per KV-cache variant (baseline dashed; bits per cached scalar at the largest L, scales and fp16 residual tokens included). ${FROM_DESC}`,
      alt: 'perplexity versus context length per variant',
    },
  ];
}

function differenceCharts(s: HypothesisSection): Chart[] {
  return s.design.comparisons.map((c): Chart | null => {
    const rows = twoSided(s.tests.rows, c.id);
    if (!rows.length) return null;
    const unit = metricInfo(rows[0].metric).unit;
    const dots: DotRow[] = rows.map((t) => ({
      label: fmtPoint(Object.fromEntries(Object.entries(t.grid).filter(([, v]) => v !== null))) || 'all',
      est: t.meanDiff, lo: t.ciLow, hi: t.ciHigh, note: t.n < 2 ? `n = ${t.n}` : undefined,
    }));
    const pair = c.metrics.replace(/ \(paired by seed\)$/, '');
    return {
      svg: dotWhisker({
        title: `${s.id} · ${c.id}`, xLabel: `difference ${pair}`, xUnit: unit === 'as stored' ? 'metric units' : unit || undefined,
        rows: dots, refLines: marginLines(c), whiskerLabel: 'two-sided 95% CI',
      }),
      caption: `Per ${c.gridKeys.join(' × ') || 'grid point'}: mean paired difference (${pair}) across seeds. ${c.claim}. ${FROM_TESTS}`,
      alt: `${c.id} differences per grid point`,
    };
  }).filter((x): x is Chart => x !== null);
}

function h5Charts(s: HypothesisSection): Chart[] {
  const rows = s.descriptives.rows;
  const gpus = [...new Set(rows.map((r) => r.gpu))];
  const opts = {
    variants: gpus, colorKey: (r: DescriptiveRow) => r.gpu, dashed: (r: DescriptiveRow) => r.variant === s.design.baseline,
    name: (r: DescriptiveRow, rest: string) => [r.gpu, r.variant, rest.split(', ').filter((p) => p && p !== r.gpu).join(', ')].filter(Boolean).join(' · '),
  };
  const energy = seriesFrom(rows, 'joules_per_token', 'ctx', opts);
  const speed = seriesFrom(rows, 'tokens_per_s', 'ctx', opts);
  const note = `Colour = GPU generation; solid = ${s.design.variants.filter((v) => v.role !== 'baseline').map((v) => v.name).join(', ') || 'variant'}, dashed = ${s.design.baseline ?? 'baseline'}.`;
  return [
    {
      svg: lineChart({ title: 'H5 · energy per token vs context length', xLabel: 'context length L', xUnit: 'tokens', yLabel: 'energy per token', yUnit: 'J/token', series: energy.series }),
      caption: `${note} ${FROM_DESC}`,
      alt: 'joules per token versus context length per GPU',
    },
    {
      svg: lineChart({ title: 'H5 · decode throughput vs context length', xLabel: 'context length L', xUnit: 'tokens', yLabel: 'throughput', yUnit: 'tokens/s', series: speed.series }),
      caption: `${note} ${FROM_DESC}`,
      alt: 'tokens per second versus context length per GPU',
    },
  ];
}

function h6Charts(s: HypothesisSection): Chart[] {
  const rows = s.tests.rows.filter((t) => t.test === 'relative-degradation');
  const dots: DotRow[] = rows.map((t) => {
    const ci = Array.isArray(t.details.ci95) ? t.details.ci95 : null;
    return {
      label: String(t.grid.family ?? t.details.family ?? (fmtPoint(t.grid) || t.comparison)),
      est: t.meanDiff, lo: ci ? ci[0] : t.ciLow, hi: ci ? ci[1] : t.ciHigh,
    };
  }).sort((a, b) => (b.est ?? -Infinity) - (a.est ?? -Infinity));
  return [{
    svg: dotWhisker({
      title: 'H6 · task families ranked by relative degradation', xLabel: 'relative degradation vs 4-bit baseline', xUnit: 'fraction',
      rows: dots, refLines: [{ value: 0, label: 'no degradation', style: 'zero' }], whiskerLabel: '95% CI over seeds',
    }),
    caption: 'Mean relative degradation of the binary variant vs the 4-bit baseline per task family, most sensitive first, from the relative-degradation rows of stat_tests.',
    alt: 'task families ranked by relative degradation',
  }];
}

export function chartsFor(s: HypothesisSection): Chart[] {
  switch (s.id) {
    case 'H1': return h1Charts(s);
    case 'H2': return h2Charts(s);
    case 'H3': case 'H4': return differenceCharts(s);
    case 'H5': return h5Charts(s);
    case 'H6': return h6Charts(s);
    default: return [];
  }
}
