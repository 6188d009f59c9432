// Loads the ReportData of one sweep from Postgres (the only I/O of the report). Each table is
// loaded with the query from reports/sql.ts whose inlined text the report prints under it.
import { getPool } from '../db/client.ts';
import { HYPOTHESIS_IDS, type HypothesisId } from '../hypotheses/definition.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import { expandHypothesisCells } from '../hypotheses/cells.ts';
import { validateSweepSpec, type SweepSpec } from '../hypotheses/sweep-spec.ts';
import type { HypothesisAnalysis, TestRecord } from '../hypotheses/analysis/types.ts';
import { buildDesign, paramAxes, tableMetrics } from './design.ts';
import { comparePoints, descriptiveFromSql } from './descriptives.ts';
import { inlineSql, queries, type Query } from './sql.ts';
import type {
  HoleCell, HoleGroup, HypothesisSection, HypothesisSummaryRow, KernelRunRow, ReportData, VerdictInfo,
} from './types.ts';

/** The part of pg.Pool / pg.Client the loader needs. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** Cells listed per hole group (the group's count and its SQL cover all of them). */
export const HOLE_EXAMPLES = 12;

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

async function run(db: Queryable, q: Query): Promise<Array<Record<string, unknown>>> {
  try {
    return (await db.query(q.text, q.values)).rows;
  } catch (e) {
    throw new Error(`report query failed: ${(e as Error).message}\n${inlineSql(q)}`, { cause: e });
  }
}

function testFromSql(r: Record<string, unknown>): TestRecord {
  return {
    comparison: String(r.comparison), family: String(r.family), metric: String(r.metric),
    grid: (r.grid ?? {}) as TestRecord['grid'], test: String(r.test) as TestRecord['test'],
    alternative: String(r.alternative) as TestRecord['alternative'], margin: num(r.margin), n: Number(r.n),
    meanDiff: num(r.mean_diff), sdDiff: num(r.sd_diff), ciLow: num(r.ci_low), ciHigh: num(r.ci_high),
    statistic: num(r.statistic), df: num(r.df), pValue: num(r.p_value), pHolm: num(r.p_holm), pBh: num(r.p_bh),
    reject: r.reject === null || r.reject === undefined ? null : Boolean(r.reject),
    details: (r.details ?? {}) as TestRecord['details'],
  };
}

function summaryFromSql(r: Record<string, unknown>): HypothesisSummaryRow {
  return {
    hypothesis: String(r.hypothesis), cells: Number(r.cells), cellsOk: Number(r.cells_ok), cellsFailed: Number(r.cells_failed),
    cellsNoWorker: Number(r.cells_no_worker), cellsPending: Number(r.cells_pending), seeds: Number(r.seeds),
    metricRows: Number(r.metric_rows), verdict: str(r.verdict), reason: str(r.reason),
  };
}

function groupHoles(rows: Array<Record<string, unknown>>): Map<string, HoleGroup[]> {
  const byHyp = new Map<string, Map<string, HoleGroup>>();
  for (const r of rows) {
    const h = String(r.hypothesis);
    const status = String(r.status);
    const reason = str(r.reason);
    const groups = byHyp.get(h) ?? new Map<string, HoleGroup>();
    byHyp.set(h, groups);
    const key = `${status}\u0000${reason ?? ''}`;
    const g = groups.get(key) ?? { hypothesis: h, status, reason, count: 0, cells: [] };
    groups.set(key, g);
    g.count += 1;
    if (g.cells.length < HOLE_EXAMPLES) {
      const cell: HoleCell = { index: Number(r.cell_index), variant: String(r.variant), seed: Number(r.seed), gpu: String(r.gpu), queue: String(r.queue) };
      g.cells.push(cell);
    }
  }
  return new Map([...byHyp].map(([h, m]) => [h, [...m.values()].sort((a, b) => b.count - a.count)]));
}

function asAnalysis(v: unknown, h: string): HypothesisAnalysis | null {
  return v && typeof v === 'object' && (v as { hypothesis?: unknown }).hypothesis === h ? (v as HypothesisAnalysis) : null;
}

/** Everything the report shows for `sweepId`, read from Postgres. */
export async function loadReportData(sweepId: string, db: Queryable = getPool(), now: Date = new Date()): Promise<ReportData> {
  const sweepQ = queries.sweep(sweepId);
  const [sweepRow] = await run(db, sweepQ);
  if (!sweepRow) throw new Error(`no sweep with id "${sweepId}" in Postgres; \`binllm sql "SELECT id, name, status FROM sweeps"\` lists the known ones`);
  const validated = validateSweepSpec(sweepRow.spec);
  const spec: SweepSpec | null = validated.ok ? validated.spec : null;
  const specIssues = validated.ok ? [] : validated.issues.map((i) => `${i.path}: ${i.message}`);

  const summaryQ = queries.summary(sweepId);
  const verdictsQ = queries.verdicts(sweepId);
  const holesQ = queries.holes(sweepId);
  const runsQ = queries.runs(sweepId);
  const [summaryRows, verdictRows, analysisRows, holeRows, runRows] = await Promise.all([
    run(db, summaryQ), run(db, verdictsQ), run(db, queries.analyses(sweepId)), run(db, holesQ), run(db, runsQ),
  ]);
  const summary = summaryRows.map(summaryFromSql);
  const holesByHyp = groupHoles(holeRows);

  const seen = new Set<string>([...(spec?.hypotheses ?? []), ...summary.map((s) => s.hypothesis), ...verdictRows.map((v) => String(v.hypothesis))]);
  const ids = HYPOTHESIS_IDS.filter((h) => seen.has(h));

  const hypotheses = await Promise.all(ids.map(async (h: HypothesisId): Promise<HypothesisSection> => {
    const def = HYPOTHESES[h];
    const vRow = verdictRows.find((v) => v.hypothesis === h);
    const analysis = asAnalysis(analysisRows.find((a) => a.hypothesis === h)?.analysis, h);
    const design = buildDesign({ def, spec, analysisSettings: analysis?.settings ?? null });
    const metrics = tableMetrics(def, spec, analysis?.settings ?? null);
    const axes = paramAxes(def, spec);
    const descQ = queries.descriptives(sweepId, h, axes, metrics);
    const namesQ = queries.metricNames(sweepId, h);
    const testsQ = queries.tests(sweepId, h);
    const [descRows, nameRows, testRows] = await Promise.all([
      def.kernel ? run(db, descQ) : Promise.resolve([]), def.kernel ? run(db, namesQ) : Promise.resolve([]), run(db, testsQ),
    ]);
    const variantOrder = design.variants.map((v) => v.name);
    const pointKeys = [...new Set(descRows.flatMap((r) => Object.keys((r.point ?? {}) as object)))];
    const rows = descRows.map(descriptiveFromSql).sort((a, b) =>
      metrics.indexOf(a.metric) - metrics.indexOf(b.metric)
      || (variantOrder.indexOf(a.variant) + 1 || 99) - (variantOrder.indexOf(b.variant) + 1 || 99)
      || a.variant.localeCompare(b.variant) || a.gpu.localeCompare(b.gpu) || comparePoints(a.point, b.point, pointKeys));
    const verdict: VerdictInfo | null = vRow ? {
      verdict: String(vRow.verdict), reason: String(vRow.reason), keyNumbers: (vRow.key_numbers ?? {}) as Record<string, unknown>,
      createdAt: iso(vRow.created_at), sql: inlineSql(queries.verdict(sweepId, h)),
    } : null;
    const sumRow = summary.find((s) => s.hypothesis === h) ?? null;
    const groups = holesByHyp.get(h) ?? [];
    return {
      id: h,
      design,
      verdict,
      summary: sumRow,
      descriptives: {
        rows,
        sql: inlineSql(descQ),
        sqlByMetric: Object.fromEntries(metrics.map((m) => [m, inlineSql(queries.descriptives(sweepId, h, axes, [m]))])),
        otherMetrics: nameRows.map((r) => ({ metric: String(r.metric), rows: Number(r.rows) })).filter((r) => !metrics.includes(r.metric)),
        otherMetricsSql: inlineSql(namesQ),
      },
      tests: {
        rows: testRows.map(testFromSql), sql: inlineSql(testsQ),
        sqlByComparison: Object.fromEntries([...new Set(testRows.map((r) => String(r.comparison)))].map((c) => [c, inlineSql(queries.tests(sweepId, h, c))])),
        sqlByTest: Object.fromEntries([...new Set(testRows.map((r) => String(r.test)))].map((x) => [x, inlineSql(queries.testsOfKind(sweepId, h, x))])),
      },
      holes: {
        groups,
        total: groups.reduce((a, g) => a + g.count, 0),
        expectedCells: spec && spec.hypotheses.includes(h) ? expandHypothesisCells(spec, h).length : null,
        recordedCells: sumRow?.cells ?? 0,
        sql: inlineSql(queries.holes(sweepId, h)),
      },
      unmatched: { rows: analysis?.unmatched ?? [], sql: inlineSql(queries.unmatched(sweepId, h)) },
      warnings: analysis?.warnings ?? [],
      analysis,
    };
  }));

  const runs: KernelRunRow[] = runRows.map((r) => ({
    kernel: String(r.kernel), kernelVersion: String(r.kernel_version), buildHash: str(r.build_hash), buildFlags: str(r.build_flags),
    gpu: String(r.gpu), deviceName: str(r.device_name), worker: str(r.worker),
    inputs: (r.inputs ?? {}) as KernelRunRow['inputs'], runs: Number(r.runs), runsOk: Number(r.runs_ok),
    firstStarted: iso(r.first_started), lastFinished: iso(r.last_finished), kernelSeconds: num(r.kernel_seconds),
  }));

  const specObj = (sweepRow.spec ?? {}) as { description?: unknown };
  return {
    generatedAt: now.toISOString(),
    sweep: {
      id: String(sweepRow.id), name: String(sweepRow.name), description: typeof specObj.description === 'string' ? specObj.description : null,
      status: String(sweepRow.status), workflowId: String(sweepRow.workflow_id), runId: str(sweepRow.run_id),
      gitCommit: str(sweepRow.git_commit), createdAt: iso(sweepRow.created_at) ?? '', finishedAt: iso(sweepRow.finished_at),
      error: str(sweepRow.error), spec: sweepRow.spec, specIssues, sql: inlineSql(sweepQ),
    },
    summary: { rows: summary, sql: inlineSql(summaryQ), verdictsSql: inlineSql(verdictsQ) },
    hypotheses,
    provenance: { runs: { rows: runs, sql: inlineSql(runsQ) }, holesSql: inlineSql(holesQ) },
  };
}
