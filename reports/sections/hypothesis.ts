// One hypothesis: verdict, claim, design, data completeness, descriptives, tests, charts.
import type { TestRecord } from '../../hypotheses/analysis/types.ts';
import { chartsFor } from '../charts.ts';
import { h5Blocks } from './h5.ts';
import { badge, code, muted, strong, warn, type Block, type Column, type Inline } from '../document.ts';
import { fmtCi, fmtInt, fmtMeanSd, fmtNum, fmtP, fmtPoint, fmtValue } from '../format.ts';
import { CLAIM_TESTS, headlineNumbers, keyNumberRows, metricInfo, TEST_LABELS } from '../labels.ts';
import type { DescriptiveRow, HypothesisSection } from '../types.ts';

const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

/** Grid keys in the order the definition's comparisons list them (bits before k), then the rest. */
function orderKeys(keys: string[], s: HypothesisSection): string[] {
  const order = [...Object.keys(s.design.grid), ...s.design.comparisons.flatMap((c) => c.gridKeys)];
  const rank = (k: string) => { const i = order.indexOf(k); return i < 0 ? order.length : i; };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function designBlocks(s: HypothesisSection): Block[] {
  const d = s.design;
  const kv: Array<[string, Inline[]]> = [
    ['Kernel', [d.kernel ? code(d.kernel) : `none (re-reads ${d.derivedFrom.join(', ') || '—'} results)`]],
    ['Variants', d.variants.length ? d.variants.flatMap((v, i): Inline[] => [...(i ? ['; '] : []), code(v.name), v.role === 'baseline' ? ' (baseline)' : '', `: ${v.description}`]) : ['—']],
    ['Grid', !d.kernel ? [`task families measured by ${d.derivedFrom.join(', ')}`] : Object.keys(d.grid).length ? [Object.entries(d.grid).map(([k, vs]) => `${k} ∈ {${vs.join(', ')}}`).join('; ')] : ['no grid axis of its own (grid points come from the kernel tags, e.g. context length or task)']],
    ['Seeds', [d.seeds.length ? `${d.seeds.length}: ${d.seeds.join(', ')}` : '—', d.seeds.length && d.seeds.length < d.minSeeds ? warn(` (fewer than the ${d.minSeeds} the protocol requires)`) : '']],
    ['GPU generations', [d.gpus.join(', ') || '—']],
    ['Kernel params', [Object.keys(d.params).length ? code(json(d.params)) : '—']],
    ['Settings (margins, thresholds)', [Object.keys(d.settings).length ? Object.entries(d.settings).map(([k, v]) => `${k} = ${fmtValue(v)}`).join('; ') : '—']],
    ['α', [fmtNum(d.alpha, 3)]],
    ['Correction', [d.correction]],
    ['Minimum seeds', [String(d.minSeeds)]],
  ];
  const blocks: Block[] = [
    { kind: 'heading', level: 3, text: 'Design', id: `${s.id.toLowerCase()}-design` },
    { kind: 'table', className: 'kv', columns: [{ header: 'Item', nowrap: true }, { header: 'Value' }], rows: kv.map(([k, v]) => [[strong(k)], v]) },
  ];
  if (d.comparisons.length) {
    blocks.push({
      kind: 'table',
      caption: 'Comparisons (one test per grid point; primary comparisons drive the verdict)',
      columns: [{ header: 'Comparison', nowrap: true }, { header: 'Role' }, { header: 'Compared' }, { header: 'Claim tested' }, { header: 'Grid keys' }, { header: 'Holm family', nowrap: true }],
      rows: d.comparisons.map((c) => [[code(c.id)], [c.role], [c.metrics], [c.claim], [c.gridKeys.join(', ') || '—'], [c.family]]),
    });
  }
  return blocks;
}

function completenessBlocks(s: HypothesisSection): Block[] {
  const id = s.id.toLowerCase();
  const h = s.holes;
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: 'Data completeness', id: `${id}-holes` }];
  if (!s.design.kernel) {
    blocks.push({ kind: 'paragraph', content: [`${s.id} runs no cells; it re-reads the results of ${s.design.derivedFrom.join(', ')}, whose holes are listed in their sections.`] });
  } else {
    const sum = s.summary;
    const content: Inline[] = [
      `Cells expected from the spec: ${h.expectedCells === null ? 'unknown (stored spec does not validate)' : fmtInt(h.expectedCells)}; `,
      `recorded: ${fmtInt(h.recordedCells)}; produced data: ${fmtInt(sum?.cellsOk ?? 0)}; without data: `,
      h.total ? warn(fmtInt(h.total)) : '0', '.',
    ];
    if (h.expectedCells !== null && h.expectedCells > h.recordedCells) content.push(' ', warn(`${fmtInt(h.expectedCells - h.recordedCells)} expected cells have no row in sweep_cells at all.`));
    blocks.push({ kind: 'paragraph', tone: h.total || (h.expectedCells ?? 0) > h.recordedCells ? 'warn' : undefined, content });
    if (h.groups.length) {
      blocks.push({
        kind: 'table',
        caption: 'Cells without data, grouped by status and reason',
        columns: [{ header: 'Status', nowrap: true }, { header: 'Cells', align: 'right' }, { header: 'Reason' }, { header: 'Cells (index · variant · seed · GPU)' }],
        rows: h.groups.map((g) => [
          [warn(g.status)], [fmtInt(g.count)], [g.reason ?? muted('no reason recorded')],
          [g.cells.map((c) => `#${c.index} ${c.variant} s${c.seed} ${c.gpu}`).join(', ') + (g.count > g.cells.length ? ` … and ${fmtInt(g.count - g.cells.length)} more (see the SQL)` : '')],
        ]),
        sql: h.sql,
      });
    }
  }
  if (s.unmatched.rows.length) {
    const shown = s.unmatched.rows.slice(0, 50);
    blocks.push({
      kind: 'table',
      caption: `Observations left out of the paired tests (${fmtInt(s.unmatched.rows.length)})`,
      columns: [{ header: 'Comparison' }, { header: 'Variant' }, { header: 'Metric' }, { header: 'Seed', align: 'right' }, { header: 'GPU' }, { header: 'Grid point' }, { header: 'Why' }],
      rows: shown.map((u) => [[code(u.comparison)], [u.variant], [u.metric], [String(u.seed)], [u.gpu], [fmtPoint(u.grid)], [u.reason]]),
      notes: s.unmatched.rows.length > shown.length ? [[`First ${shown.length} shown; the SQL lists all ${fmtInt(s.unmatched.rows.length)}.`]] : undefined,
      sql: s.unmatched.sql,
    });
  }
  if (s.warnings.length) blocks.push({ kind: 'list', items: s.warnings.map((w) => [warn('Analysis warning: '), w]) });
  return blocks;
}

function descriptivesBlocks(s: HypothesisSection): Block[] {
  const id = s.id.toLowerCase();
  const rows = s.descriptives.rows;
  if (!s.design.kernel) return [];
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: 'Per-variant results', id: `${id}-descriptives` }];
  const multiGpu = new Set(rows.map((r) => r.gpu)).size > 1 || s.design.gpus.length > 1;
  const seeds = s.design.seeds.length;
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const tables: Block[] = [];
  for (const metric of metrics) {
    const mrows = rows.filter((r) => r.metric === metric);
    const keys = orderKeys([...new Set(mrows.flatMap((r) => Object.keys(r.point)))], s);
    const info = metricInfo(metric);
    const columns: Column[] = [
      { header: 'Variant', nowrap: true }, ...(multiGpu ? [{ header: 'GPU' }] : []), ...keys.map((k) => ({ header: k, align: 'right' as const })),
      { header: 'n', align: 'right' }, { header: 'mean ± sd', align: 'right', nowrap: true }, { header: '95% CI of the mean', align: 'right', nowrap: true },
    ];
    const table = mrows.map((r: DescriptiveRow): Inline[][] => {
      const nText = r.n === r.seeds ? fmtInt(r.n) : `${fmtInt(r.n)} (${fmtInt(r.seeds)} seeds)`;
      return [
        [r.variant], ...(multiGpu ? [[r.gpu]] : []),
        ...keys.map((k) => [r.point[k] === undefined ? '—' : typeof r.point[k] === 'number' ? fmtNum(r.point[k] as number, 6) : String(r.point[k])]),
        [seeds && r.seeds < seeds ? warn(`${nText} of ${seeds} ⚠`) : nText],
        [fmtMeanSd(r.mean, r.sd)], [fmtCi(r.ciLow, r.ciHigh, r.mean)],
      ];
    });
    tables.push({
      kind: 'table', caption: `${metric} — ${info.label}${info.unit ? ` (${info.unit})` : ''}`, columns, rows: table,
      sql: s.descriptives.sqlByMetric[metric] ?? s.descriptives.sql,
    });
  }
  if (tables.length) blocks.push({ kind: 'columns', blocks: tables });
  if (rows.length) {
    blocks.push({ kind: 'paragraph', content: [muted(`n is the number of metric rows (one per seed and cell); sd is the sample standard deviation (n − 1); the 95% CI is mean ± t(0.975, n − 1)·sd/√n from the n, mean and sd the SQL returns.${seeds ? ` ⚠ marks groups with fewer than the ${seeds} seeds of the sweep.` : ''}`)] });
  } else {
    blocks.push({ kind: 'paragraph', tone: 'warn', content: [strong('No metric rows: '), 'no cell of this hypothesis produced data for the metrics it tests.'] });
    blocks.push({ kind: 'code', lang: 'sql', text: s.descriptives.sql, caption: 'Query (returns no rows)' });
  }
  if (s.descriptives.otherMetrics.length) {
    blocks.push({
      kind: 'paragraph',
      content: ['Also stored for these runs (not tabulated): ', s.descriptives.otherMetrics.map((m) => `${m.metric} (${fmtInt(m.rows)} rows)`).join(', '), '. ', muted('Query: '), code(s.descriptives.otherMetricsSql.replace(/\s+/g, ' '))],
    });
  }
  return blocks;
}

function ciCell(t: TestRecord): string {
  const base = t.ciLow === null && t.ciHigh === null ? '—'
    : t.ciLow !== null && t.ciHigh === null ? `≥ ${fmtNum(t.ciLow, 4)}`
    : t.ciLow === null && t.ciHigh !== null ? `≤ ${fmtNum(t.ciHigh, 4)}`
    : fmtCi(t.ciLow, t.ciHigh, t.meanDiff);
  // log scale: the bound as a ratio variant/baseline, e.g. "≤ 0.0106 (×1.011)"
  if (t.details.scale === 'log' && fin(t.details.ratioBound)) return `${base} (×${fmtNum(t.details.ratioBound, 4)})`;
  return base;
}

function statCell(t: TestRecord): string {
  if (!fin(t.statistic)) return '—';
  const sym = t.test === 'wilcoxon-signed-rank' ? 'W' : t.test === 'friedman' ? 'χ²' : t.test === 'deterministic-check' || t.test === 'relative-degradation' ? 'value' : 't';
  return `${sym}${fin(t.df) ? `(${fmtNum(t.df, 4)})` : ''} = ${fmtNum(t.statistic, 4)}`;
}

function outcomeCell(t: TestRecord): Inline[] {
  if (t.test === 'relative-degradation') return [muted('descriptive')];
  if (t.reject === null) return [muted(t.details.tooFewSeeds ? 'too few seeds' : t.details.insufficient ? `undecided: ${t.details.insufficient}` : 'undecided')];
  if (t.test === 'deterministic-check') return t.reject ? [warn('✗ check failed')] : ['✓ check passed'];
  if (CLAIM_TESTS.has(t.test)) return t.reject ? [strong('✓ claim holds')] : ['✗ not shown'];
  if (t.test === 'opposite-one-sided') return t.reject ? [warn('✗ opposite significant')] : ['not significant'];
  return [t.reject ? 'reject H0' : 'do not reject H0'];
}

function meanCell(t: TestRecord): string {
  const base = fmtMeanSd(t.meanDiff, t.sdDiff);
  return t.details.scale === 'log' && fin(t.details.ratio) ? `${base} (×${fmtNum(t.details.ratio, 4)})` : base;
}

function testsBlocks(s: HypothesisSection): Block[] {
  const id = s.id.toLowerCase();
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: 'Paired differences and tests', id: `${id}-tests` }];
  const rows = s.tests.rows;
  if (!rows.length) {
    blocks.push({ kind: 'paragraph', tone: 'warn', content: [strong('No tests stored '), 'for this hypothesis (the analysis has not run, or there was nothing to pair).'] });
    blocks.push({ kind: 'code', lang: 'sql', text: s.tests.sql, caption: 'Query (returns no rows)' });
    return blocks;
  }
  blocks.push({
    kind: 'paragraph',
    content: ['d = variant − baseline per seed (log scale: log variant − log baseline; "×1.012" is the matching ratio variant/baseline). The claim test (one-sided) decides; the opposite one-sided test can reject; the two-sided paired t and the Wilcoxon signed-rank test are the protocol\'s "paired t-test or non-parametric alternative". p Holm: within the comparison family; p BH: across the sweep.'],
  });
  // tables: one per comparison of the definition; other records (H6) one per kind of test
  const known = new Set(s.design.comparisons.map((c) => c.id));
  const groupOf = (r: TestRecord) => (known.has(r.comparison) ? r.comparison : `test:${r.test}`);
  const order = [...new Set([...s.design.comparisons.map((c) => c.id), ...rows.map(groupOf)])];
  for (const gid of order) {
    const crow = rows.filter((r) => groupOf(r) === gid);
    if (!crow.length) continue;
    const cid = gid.startsWith('test:') ? gid.slice(5) : gid;
    const c = s.design.comparisons.find((x) => x.id === cid);
    const gridKeys = orderKeys([...new Set(crow.flatMap((r) => Object.keys(r.grid)))], s);
    blocks.push({ kind: 'heading', level: 4, text: c ? `${cid} (${c.role})` : TEST_LABELS[cid] ?? cid, id: `${id}-tests-${cid.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` });
    if (c) blocks.push({ kind: 'paragraph', content: [c.description, '. ', muted(`Claim: ${c.claim}.`)] });
    let prevGrid = '';
    blocks.push({
      kind: 'table', className: 'tests',
      columns: [
        ...gridKeys.map((k) => ({ header: k, align: 'right' as const, nowrap: true })), { header: 'Test', nowrap: true }, { header: 'n', align: 'right' },
        { header: 'mean d ± sd', align: 'right', nowrap: true }, { header: 'CI / bound', align: 'right', nowrap: true }, { header: 'Statistic', align: 'right', nowrap: true },
        { header: 'p', align: 'right', nowrap: true }, { header: 'p Holm', align: 'right', nowrap: true }, { header: 'p BH', align: 'right', nowrap: true }, { header: 'Outcome', nowrap: true },
        { header: 'Seeds for 80% power', align: 'right' },
      ],
      rows: crow.map((t) => {
        const g = JSON.stringify(t.grid);
        const first = g !== prevGrid;
        prevGrid = g;
        const dup = (x: string): Inline[] => [first ? x : ''];
        return [
          ...gridKeys.map((k) => (first ? [t.grid[k] === null || t.grid[k] === undefined ? '—' : typeof t.grid[k] === 'number' ? fmtNum(t.grid[k] as number, 6) : String(t.grid[k])] : [])),
          [TEST_LABELS[t.test] ?? t.test], [String(t.n)], dup(meanCell(t)), [ciCell(t)], [statCell(t)],
          [fmtP(t.pValue)], [fmtP(t.pHolm)], [fmtP(t.pBh)], outcomeCell(t),
          [fin(t.details.seedsFor80Power) ? fmtInt(t.details.seedsFor80Power) : t.details.seedsFor80Power === null ? 'none' : '—'],
        ];
      }),
      sql: (c ? s.tests.sqlByComparison[cid] : s.tests.sqlByTest[cid]) ?? s.tests.sql,
    });
  }
  const minP = rows.filter((r) => r.test === 'wilcoxon-signed-rank' && fin(r.details.minimumAchievablePValue) && (r.details.minimumAchievablePValue as number) > s.design.alpha);
  if (minP.length) {
    const ns = [...new Set(minP.map((r) => r.n))].sort((a, b) => a - b);
    const worst = Math.max(...minP.map((r) => r.details.minimumAchievablePValue as number));
    blocks.push({ kind: 'paragraph', tone: 'note', content: [strong('Power: '), `with n = ${ns.join(', ')} seeds the exact two-sided Wilcoxon p cannot go below ${fmtP(worst)}, so it cannot reach α = ${fmtNum(s.design.alpha, 3)} whatever the data; "Seeds for 80% power" gives the seeds a paired t-test would need at the observed sd and effect.`] });
  }
  const notes = [...new Set(rows.map((r) => r.details.powerNote).filter((x): x is string => typeof x === 'string' && x.length > 0))];
  if (notes.length) blocks.push({ kind: 'list', items: notes.slice(0, 10).map((n) => [muted('Power note: '), n]) });
  return blocks;
}

export function hypothesisBlocks(s: HypothesisSection): Block[] {
  const id = s.id.toLowerCase();
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: `${s.id} — ${s.design.title}`, id },
    {
      kind: 'paragraph',
      content: s.verdict ? [badge(s.verdict.verdict), ' ', s.verdict.reason] : [badge(null), ' ', warn('No verdict is stored for this hypothesis.')],
    },
  ];
  if (s.verdict) {
    const head = headlineNumbers(s.id, s.verdict.keyNumbers);
    if (head.length) blocks.push({ kind: 'list', items: head.map((t) => [strong(t)]) });
    const rows = keyNumberRows(s.verdict.keyNumbers);
    if (rows.length) {
      blocks.push({ kind: 'details', summary: `All key numbers of the verdict (${rows.length}, from verdicts.key_numbers)`, blocks: [{
        kind: 'table', className: 'kv', caption: 'Key numbers of the verdict (verdicts.key_numbers)',
        columns: [{ header: 'Key', nowrap: true }, { header: 'Value' }],
        rows: rows.map(([k, v, isJson]) => [[strong(k)], [isJson ? code(v) : v]]),
        sql: s.verdict.sql,
      }] });
    }
  }
  blocks.push({ kind: 'heading', level: 3, text: 'Claim (as the protocol states it)', id: `${id}-claim` });
  blocks.push({ kind: 'paragraph', content: [s.design.claim] });
  blocks.push(...designBlocks(s), ...completenessBlocks(s), ...descriptivesBlocks(s), ...testsBlocks(s));
  if (s.id === 'H5') blocks.push(...h5Blocks(s));
  const charts = chartsFor(s);
  if (charts.length) {
    blocks.push({ kind: 'heading', level: 3, text: 'Charts', id: `${id}-charts` });
    blocks.push({ kind: 'charts', charts });
  }
  return [{ kind: 'section', id: `${id}-section`, blocks }];
}
