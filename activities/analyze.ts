// The analyzeSweep activity: reads a sweep's spec, metric rows (view `metric_rows`) and cell
// statuses (`sweep_cells`), runs the pure verdict engine (hypotheses/analysis), and replaces the
// sweep's `stat_tests` and `verdicts` rows in one transaction. Idempotent: running it twice leaves
// the same rows. Malformed data (a NaN/Infinity metric, an invalid stored spec) is a
// non-retryable failure whose message names the row and what to do.
import { ApplicationFailure } from '@temporalio/activity';
import { eq, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { statTests, sweepCells, sweeps, verdicts } from '../db/schema.ts';
import { AnalysisInputError, analyzeSweepData, type AnalysisInput, type CellStatus, type MetricRow, type SweepAnalysis, type UnitValueSet } from '../hypotheses/analysis/index.ts';
import { formatIssues, validateSweepSpec } from '../hypotheses/sweep-spec.ts';

export interface AnalyzeSweepResult {
  verdicts: Array<{ hypothesis: string; verdict: string; reason: string }>;
  tests: number;
}

const finite = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

/** Pure data for the engine (and for the report renderer): spec, metric rows, cell statuses. */
export async function loadSweepAnalysisInput(sweepId: string): Promise<AnalysisInput> {
  const db = getDb();
  const [sweep] = await db.select({ spec: sweeps.spec }).from(sweeps).where(eq(sweeps.id, sweepId));
  if (!sweep) throw ApplicationFailure.nonRetryable(`sweep ${sweepId} does not exist (no row in sweeps)`, 'SweepNotFound');
  const checked = validateSweepSpec(sweep.spec);
  if (!checked.ok) {
    throw ApplicationFailure.nonRetryable(`the stored spec of sweep ${sweepId} is invalid:\n${formatIssues(checked.issues)}`, 'InvalidSweepSpec');
  }
  const result = await db.execute(sql`
    SELECT hypothesis, variant, seed, gpu, params, cell_key, metric, value, tags
    FROM metric_rows WHERE sweep_id = ${sweepId}
    ORDER BY hypothesis, cell_index, metric, tags::text`);
  const rows: MetricRow[] = (result.rows as Array<Record<string, unknown>>).map((r) => ({
    hypothesis: String(r.hypothesis), variant: String(r.variant), seed: Number(r.seed), gpu: String(r.gpu),
    params: (r.params ?? {}) as Record<string, unknown>, cellKey: String(r.cell_key), metric: String(r.metric),
    value: typeof r.value === 'number' ? r.value : Number(r.value), tags: (r.tags ?? {}) as MetricRow['tags'],
  }));
  const cellRows = await db.select({
    hypothesis: sweepCells.hypothesis, variant: sweepCells.variant, seed: sweepCells.seed, gpu: sweepCells.gpu,
    status: sweepCells.status, reason: sweepCells.reason, params: sweepCells.params,
  }).from(sweepCells).where(eq(sweepCells.sweepId, sweepId)).orderBy(sweepCells.hypothesis, sweepCells.cellIndex);
  const cells: CellStatus[] = cellRows.map((c) => ({ ...c, params: (c.params ?? {}) as Record<string, unknown> }));
  // Per-unit values (queries, windows …) for the unit-level tests: one array pair per cell and metric.
  const unitResult = await db.execute(sql`
    SELECT sc.hypothesis, sc.variant, sc.seed, sc.gpu, sc.params, u.cell_key, u.name, u.unit, u.tags, u.ids, u."values"
    FROM sweep_cells sc
    JOIN runs r ON r.cell_key = sc.cell_key AND r.status = 'ok'
    JOIN unit_values u ON u.cell_key = r.cell_key
    WHERE sc.sweep_id = ${sweepId} AND sc.status IN ('ok', 'reused')
    ORDER BY sc.hypothesis, sc.cell_index, u.name, u.tags::text`);
  const units: UnitValueSet[] = (unitResult.rows as Array<Record<string, unknown>>).map((r) => ({
    hypothesis: String(r.hypothesis), variant: String(r.variant), seed: Number(r.seed), gpu: String(r.gpu),
    params: (r.params ?? {}) as Record<string, unknown>, cellKey: String(r.cell_key), metric: String(r.name), unit: String(r.unit),
    tags: (r.tags ?? {}) as UnitValueSet['tags'], ids: (r.ids as unknown[]).map(String), values: (r.values as unknown[]).map(Number),
  }));
  return { spec: checked.spec, rows, cells, units };
}

/** Replaces the sweep's stat_tests and verdicts with `analysis`, in one transaction. */
export async function storeSweepAnalysis(sweepId: string, analysis: SweepAnalysis): Promise<void> {
  await getDb().transaction(async (tx) => {
    // Serialise concurrent analyses of the same sweep (a retried activity racing its predecessor).
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`binllm:analyze:${sweepId}`}))`);
    await tx.delete(statTests).where(eq(statTests.sweepId, sweepId));
    await tx.delete(verdicts).where(eq(verdicts.sweepId, sweepId));
    const testRows = analysis.analyses.flatMap((a) => a.tests.map((t) => ({
      sweepId, hypothesis: a.hypothesis, comparison: t.comparison, family: t.family, metric: t.metric, grid: t.grid, test: t.test,
      alternative: t.alternative, margin: finite(t.margin), n: t.n, meanDiff: finite(t.meanDiff), sdDiff: finite(t.sdDiff),
      ciLow: finite(t.ciLow), ciHigh: finite(t.ciHigh), statistic: finite(t.statistic), df: finite(t.df), pValue: finite(t.pValue),
      pHolm: finite(t.pHolm), pBh: finite(t.pBh), reject: t.reject, details: t.details,
    })));
    for (let i = 0; i < testRows.length; i += 1000) await tx.insert(statTests).values(testRows.slice(i, i + 1000));
    if (analysis.analyses.length) {
      await tx.insert(verdicts).values(analysis.analyses.map((a) => ({
        sweepId, hypothesis: a.hypothesis, verdict: a.verdict, reason: a.reason, keyNumbers: a.keyNumbers, settings: a.settings,
        analysis: a, createdAt: new Date(),
      })));
    }
  });
}

export async function analyzeSweep(input: { sweepId: string }): Promise<AnalyzeSweepResult> {
  const data = await loadSweepAnalysisInput(input.sweepId);
  let analysis: SweepAnalysis;
  try {
    analysis = analyzeSweepData(data);
  } catch (e) {
    if (e instanceof AnalysisInputError) {
      throw ApplicationFailure.nonRetryable(`sweep ${input.sweepId}: ${e.message}`, 'AnalysisInputError');
    }
    throw e;
  }
  await storeSweepAnalysis(input.sweepId, analysis);
  return {
    verdicts: analysis.analyses.map((a) => ({ hypothesis: a.hypothesis, verdict: a.verdict, reason: a.reason })),
    tests: analysis.tests,
  };
}
