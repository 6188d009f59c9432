// Every query the report runs, in one module. load.ts executes these texts with bind parameters;
// the report prints the same texts with the parameters inlined as SQL literals, so what a reader
// pastes into `binllm sql "…"` is exactly what produced the table.

export type SqlValue = string | number | boolean | null | string[];
export interface Query { text: string; values: SqlValue[] }

/** A SQL literal: strings quoted with '' doubled, arrays as ARRAY[…]::text[]. */
export function sqlLiteral(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (Array.isArray(v)) return `ARRAY[${v.map((s) => sqlLiteral(s)).join(', ')}]::text[]`;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot inline ${v} as a SQL literal`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `'${v.replace(/'/g, "''")}'`;
}

/** The query with $1, $2, … replaced by literals ($10 is read as ten, not $1 followed by 0). */
export function inlineSql(q: Query): string {
  return q.text.replace(/\$(\d+)/g, (m, i: string) => {
    const k = Number(i) - 1;
    if (k < 0 || k >= q.values.length) throw new Error(`query uses ${m} but has ${q.values.length} values`);
    return sqlLiteral(q.values[k]);
  });
}

/** jsonb expression of a metric row's grid point: the grid-axis params of its cell, overridden by its tags. */
export function pointExpr(axes: string[]): string {
  if (!axes.length) return 'tags';
  const pairs = axes.map((a) => `${sqlLiteral(a)}, params -> ${sqlLiteral(a)}`).join(', ');
  return `jsonb_strip_nulls(jsonb_build_object(${pairs})) || tags`;
}

export const queries = {
  sweep: (sweepId: string): Query => ({
    text: `SELECT id, name, spec, status, workflow_id, run_id, git_commit, created_at, finished_at, error
FROM sweeps
WHERE id = $1`,
    values: [sweepId],
  }),

  summary: (sweepId: string): Query => ({
    text: `SELECT hypothesis, cells, cells_ok, cells_failed, cells_no_worker, cells_pending, seeds, metric_rows, verdict, reason
FROM hypothesis_summary
WHERE sweep_id = $1
ORDER BY hypothesis`,
    values: [sweepId],
  }),

  verdicts: (sweepId: string): Query => ({
    text: `SELECT hypothesis, verdict, reason, key_numbers, created_at
FROM verdicts
WHERE sweep_id = $1
ORDER BY hypothesis`,
    values: [sweepId],
  }),

  /** The analysis JSON per hypothesis (design settings, unmatched observations, warnings). */
  analyses: (sweepId: string): Query => ({
    text: `SELECT hypothesis, analysis
FROM verdicts
WHERE sweep_id = $1`,
    values: [sweepId],
  }),

  unmatched: (sweepId: string, hypothesis: string): Query => ({
    text: `SELECT u ->> 'comparison' AS comparison, u ->> 'variant' AS variant, u ->> 'metric' AS metric, (u ->> 'seed')::int AS seed,
       u ->> 'gpu' AS gpu, u -> 'grid' AS grid, u ->> 'reason' AS reason
FROM verdicts, jsonb_array_elements(analysis -> 'unmatched') AS u
WHERE sweep_id = $1 AND hypothesis = $2`,
    values: [sweepId, hypothesis],
  }),

  verdict: (sweepId: string, hypothesis: string): Query => ({
    text: `SELECT verdict, reason, key_numbers
FROM verdicts
WHERE sweep_id = $1 AND hypothesis = $2`,
    values: [sweepId, hypothesis],
  }),

  /** Per variant × GPU × grid point × metric: n, seeds, mean, sd, min, max (the CI is mean ± t·sd/√n). */
  descriptives: (sweepId: string, hypothesis: string, axes: string[], metrics: string[]): Query => ({
    text: `SELECT variant, gpu, metric, ${pointExpr(axes)} AS point,
       count(*)::int AS n, count(DISTINCT seed)::int AS seeds,
       avg(value) AS mean, stddev_samp(value) AS sd, min(value) AS min, max(value) AS max
FROM metric_rows
WHERE sweep_id = $1 AND hypothesis = $2 AND metric = ANY($3)
GROUP BY variant, gpu, metric, 4
ORDER BY metric, variant, gpu, (${pointExpr(axes)})::text`,
    values: [sweepId, hypothesis, metrics],
  }),

  metricNames: (sweepId: string, hypothesis: string): Query => ({
    text: `SELECT metric, count(*)::int AS rows
FROM metric_rows
WHERE sweep_id = $1 AND hypothesis = $2
GROUP BY metric
ORDER BY metric`,
    values: [sweepId, hypothesis],
  }),

  /** All tests of a hypothesis (what load.ts reads), or those of one comparison (what a table shows). */
  tests: (sweepId: string, hypothesis: string, comparison?: string): Query => ({
    text: `SELECT comparison, family, metric, grid, test, alternative, margin, n, mean_diff, sd_diff, ci_low, ci_high,
       statistic, df, p_value, p_holm, p_bh, reject, details
FROM stat_tests
WHERE sweep_id = $1 AND hypothesis = $2${comparison === undefined ? '' : ' AND comparison = $3'}
ORDER BY id`,
    values: comparison === undefined ? [sweepId, hypothesis] : [sweepId, hypothesis, comparison],
  }),

  /** The tests of one kind (H6's per-family relative degradation, Friedman) of a hypothesis. */
  testsOfKind: (sweepId: string, hypothesis: string, test: string): Query => ({
    text: `SELECT comparison, family, metric, grid, test, alternative, margin, n, mean_diff, sd_diff, ci_low, ci_high,
       statistic, df, p_value, p_holm, p_bh, reject, details
FROM stat_tests
WHERE sweep_id = $1 AND hypothesis = $2 AND test = $3
ORDER BY id`,
    values: [sweepId, hypothesis, test],
  }),

  /** Cells without usable rows: failed, no worker, cancelled, still pending or running. */
  holes: (sweepId: string, hypothesis?: string): Query => ({
    text: `SELECT hypothesis, cell_index, variant, seed, gpu, queue, status, reason
FROM sweep_cells
WHERE sweep_id = $1${hypothesis ? ' AND hypothesis = $2' : ''} AND status NOT IN ('ok', 'reused')
ORDER BY hypothesis, cell_index`,
    values: hypothesis ? [sweepId, hypothesis] : [sweepId],
  }),

  /** Kernel versions, build hashes, devices and run times of every cell the sweep ran or reused. */
  runs: (sweepId: string): Query => ({
    text: `SELECT r.kernel, r.kernel_version, r.build_hash, r.build ->> 'flags' AS build_flags, r.gpu,
       r.device ->> 'name' AS device_name, r.worker, r.inputs,
       count(*)::int AS runs, count(*) FILTER (WHERE r.status = 'ok')::int AS runs_ok,
       min(r.started_at) AS first_started, max(r.finished_at) AS last_finished,
       sum(r.kernel_elapsed_s) AS kernel_seconds
FROM sweep_cells sc
JOIN runs r ON r.cell_key = sc.cell_key
WHERE sc.sweep_id = $1
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ORDER BY 1, 2, 5, 6, 7, 8::text`,
    values: [sweepId],
  }),
} as const;
