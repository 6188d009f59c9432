// The top of the report: what was run, each hypothesis's verdict with its reason and key number,
// and how complete the data is (a hole in the data is stated here, before any result).
import { badge, code, strong, warn, type Block, type Inline } from '../document.ts';
import { fmtInt, fmtTime } from '../format.ts';
import { headlineNumbers } from '../labels.ts';
import type { ReportData } from '../types.ts';

const anchor = (h: string) => `#${h.toLowerCase()}` as const;

export function summaryBlocks(d: ReportData): Block[] {
  const s = d.sweep;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `BinaryLLM sweep report: ${s.name}`, id: 'top' },
    {
      kind: 'paragraph',
      content: [
        'Sweep ', code(s.id), ` · status ${s.status} · started ${fmtTime(s.createdAt)} · finished ${fmtTime(s.finishedAt)} · git commit `,
        code(s.gitCommit ?? 'unknown'), ` · report generated ${fmtTime(d.generatedAt)} from Postgres.`,
      ],
    },
  ];
  if (s.description) blocks.push({ kind: 'paragraph', content: [s.description] });
  if (s.status !== 'completed') blocks.push({ kind: 'paragraph', tone: 'warn', content: [strong('Sweep not completed: '), `its status is "${s.status}", so the results below may be partial.`] });
  if (s.error) blocks.push({ kind: 'paragraph', tone: 'bad', content: [strong('Sweep error: '), s.error] });

  blocks.push({ kind: 'heading', level: 2, text: 'Verdicts', id: 'verdicts' });
  blocks.push({
    kind: 'table',
    className: 'verdicts',
    columns: [{ header: 'Hypothesis', nowrap: true }, { header: 'Verdict', nowrap: true }, { header: 'Reason' }, { header: 'Key numbers' }],
    rows: d.hypotheses.map((h) => [
      [{ text: h.id, href: anchor(h.id), strong: true }, ` ${h.design.title}`],
      [badge(h.verdict?.verdict)],
      h.verdict ? [h.verdict.reason] : [warn('no verdict stored: the analysis of this hypothesis has not run or failed')],
      h.verdict ? headlineNumbers(h.id, h.verdict.keyNumbers).flatMap((t, i): Inline[] => (i ? ['; ', t] : [strong(t)])) : [],
    ]),
    sql: d.summary.verdictsSql,
  });

  const expected = new Map(d.hypotheses.map((h) => [h.id, h.holes.expectedCells]));
  blocks.push({ kind: 'heading', level: 2, text: 'Data completeness', id: 'completeness' });
  blocks.push({
    kind: 'table',
    columns: [
      { header: 'Hypothesis' }, { header: 'Cells expected', align: 'right' }, { header: 'Cells recorded', align: 'right' }, { header: 'OK / reused', align: 'right' },
      { header: 'Failed', align: 'right' }, { header: 'No worker', align: 'right' }, { header: 'Pending / running', align: 'right' },
      { header: 'Other (cancelled)', align: 'right' }, { header: 'Seeds', align: 'right' }, { header: 'Metric rows', align: 'right' },
    ],
    rows: d.summary.rows.map((r) => {
      const other = r.cells - r.cellsOk - r.cellsFailed - r.cellsNoWorker - r.cellsPending;
      const exp = expected.get(r.hypothesis);
      const bad = (n: number): Inline[] => [n > 0 ? warn(fmtInt(n)) : fmtInt(n)];
      return [
        [{ text: r.hypothesis, href: anchor(r.hypothesis) }],
        [exp === null || exp === undefined ? '—' : fmtInt(exp)],
        exp !== null && exp !== undefined && exp !== r.cells ? [warn(fmtInt(r.cells))] : [fmtInt(r.cells)],
        [fmtInt(r.cellsOk)], bad(r.cellsFailed), bad(r.cellsNoWorker), bad(r.cellsPending), bad(other),
        [fmtInt(r.seeds)], [fmtInt(r.metricRows)],
      ];
    }),
    sql: d.summary.sql,
    notes: [['"Cells expected" is the number of cells the sweep spec expands to (not a query result); every other column comes from the hypothesis_summary view. H6 has no cells of its own.']],
  });
  const holes = d.hypotheses.reduce((a, h) => a + h.holes.total, 0);
  const missing = d.hypotheses.filter((h) => h.holes.expectedCells !== null && h.holes.expectedCells > h.holes.recordedCells);
  const noRows = d.hypotheses.filter((h) => h.design.kernel && !d.summary.rows.some((r) => r.hypothesis === h.id));
  if (holes || missing.length || noRows.length) {
    const parts: Inline[] = [strong('Holes in the data: ')];
    if (holes) parts.push(`${fmtInt(holes)} cell${holes === 1 ? '' : 's'} produced no usable rows (${d.hypotheses.filter((h) => h.holes.total).map((h) => `${h.id}: ${fmtInt(h.holes.total)}`).join(', ')}). `);
    for (const h of missing) parts.push(`${h.id}: ${fmtInt((h.holes.expectedCells ?? 0) - h.holes.recordedCells)} of ${fmtInt(h.holes.expectedCells)} expected cells have no row in sweep_cells. `);
    for (const h of noRows) parts.push(`${h.id}: no cells recorded at all. `);
    parts.push('Each hypothesis section lists them under "Data completeness"; the tests use only the cells that produced data.');
    blocks.push({ kind: 'paragraph', tone: 'warn', content: parts });
  } else {
    blocks.push({ kind: 'paragraph', content: ['Every cell the spec expands to is recorded and produced data.'] });
  }
  blocks.push({
    kind: 'list',
    items: [
      ...d.hypotheses.map((h): Inline[] => [{ text: `${h.id} — ${h.design.title}`, href: anchor(h.id) }]),
      [{ text: 'Provenance', href: '#provenance' }],
    ],
  });
  return blocks;
}
