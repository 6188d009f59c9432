// Checks of a rendered report against direct SQL, shared by the DB-backed report tests. The
// queries here are written independently of reports/sql.ts (base tables, not the views).
import assert from 'node:assert/strict';
import { fmtInt, fmtMeanSd, fmtP } from '../../reports/format.ts';
import type { Queryable } from '../../reports/load.ts';
import type { ReportData } from '../../reports/types.ts';

/** Cells of a Markdown table row, split on unescaped pipes. */
export function mdCells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
}

/** Checks three kinds of numbers in the rendered Markdown against direct SQL; returns what it compared. */
export async function checkReportAgainstSql(db: Queryable, sweepId: string, data: ReportData, md: string): Promise<string[]> {
  const checked: string[] = [];
  // (1) cell counts per hypothesis, from sweep_cells directly (not the hypothesis_summary view)
  const { rows: counts } = await db.query(
    `SELECT hypothesis, count(*)::int AS cells, count(*) FILTER (WHERE status IN ('ok', 'reused'))::int AS ok
     FROM sweep_cells WHERE sweep_id = $1 GROUP BY hypothesis ORDER BY hypothesis`, [sweepId]);
  assert.ok(counts.length > 0, `sweep ${sweepId} has no cells`);
  for (const c of counts) {
    const h = String(c.hypothesis);
    const line = md.split('\n').find((l) => l.startsWith(`| [${h}](#${h.toLowerCase()}) |`));
    assert.ok(line, `completeness row for ${h}`);
    const cells = mdCells(line);
    assert.equal(cells[2], fmtInt(Number(c.cells)), `${h}: recorded cells`);
    assert.equal(cells[3], fmtInt(Number(c.ok)), `${h}: cells with data`);
    checked.push(`${h} cells ${c.cells}, ok ${c.ok}`);
  }
  // (2) one mean ± sd, grouped by everything that identifies a group (params cover the grid axes)
  const shown = data.hypotheses.flatMap((h) => h.descriptives.rows.map((r) => ({ h: h.id, metric: r.metric })));
  const metrics = [...new Set(shown.map((s) => s.metric))];
  const { rows: [g] } = await db.query(
    `SELECT sc.hypothesis, sc.variant, sc.gpu, m.name AS metric, m.tags, avg(m.value) AS mean, stddev_samp(m.value) AS sd, count(*)::int AS n
     FROM metrics m
     JOIN runs r ON r.cell_key = m.cell_key AND r.status = 'ok'
     JOIN sweep_cells sc ON sc.cell_key = m.cell_key AND sc.status IN ('ok', 'reused')
     WHERE sc.sweep_id = $1 AND m.name = ANY($2::text[])
     GROUP BY sc.hypothesis, sc.variant, sc.gpu, m.name, m.tags, sc.params
     HAVING count(*) >= 2 AND stddev_samp(m.value) > 0
     ORDER BY sc.hypothesis, m.name, sc.variant, sc.gpu, m.tags::text
     LIMIT 1`, [sweepId, metrics]);
  assert.ok(g, 'a group with at least two values');
  const meanSd = fmtMeanSd(Number(g.mean), g.sd === null ? null : Number(g.sd));
  const rowLines = md.split('\n').filter((l) => l.startsWith(`| ${String(g.variant)} |`) && l.includes(`| ${meanSd} |`));
  assert.ok(rowLines.length > 0, `${g.hypothesis} ${g.metric} ${g.variant} ${JSON.stringify(g.tags)}: mean ± sd ${meanSd} is in the report`);
  checked.push(`${g.hypothesis} ${g.metric} ${g.variant} mean ± sd ${meanSd} (n = ${g.n})`);
  // (3) one test's raw, Holm and BH p-values, and each verdict
  const { rows: [t] } = await db.query(
    `SELECT hypothesis, comparison, test, p_value, p_holm, p_bh FROM stat_tests
     WHERE sweep_id = $1 AND p_value IS NOT NULL ORDER BY (p_value BETWEEN 0.001 AND 0.9 AND test <> 'wilcoxon-signed-rank') DESC, (p_value BETWEEN 0.001 AND 0.9) DESC, id LIMIT 1`, [sweepId]);
  if (t) {
    const triple = `| ${fmtP(Number(t.p_value))} | ${fmtP(t.p_holm === null ? null : Number(t.p_holm))} | ${fmtP(t.p_bh === null ? null : Number(t.p_bh))} |`;
    assert.ok(md.includes(triple), `${t.hypothesis} ${t.comparison} ${t.test}: p-values ${triple}`);
    checked.push(`${t.hypothesis} ${t.comparison} ${t.test} p ${triple}`);
  }
  const { rows: verdicts } = await db.query('SELECT hypothesis, verdict FROM verdicts WHERE sweep_id = $1', [sweepId]);
  for (const v of verdicts) {
    const line = md.split('\n').find((l) => l.startsWith(`| **[${String(v.hypothesis)}](#`));
    assert.ok(line?.includes(`**${String(v.verdict).toUpperCase()}**`), `${v.hypothesis} verdict ${v.verdict}`);
  }
  return checked;
}

