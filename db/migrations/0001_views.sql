-- Researcher-facing views: what `binllm sql` and the report's SQL snippets query.
-- metric_rows: one row per stored metric value with its sweep, hypothesis and cell coordinates.
CREATE VIEW "metric_rows" AS
SELECT sc.sweep_id, sc.hypothesis, sc.variant, sc.seed, sc.gpu, sc.cell_index,
       r.kernel, r.kernel_version, r.build_hash, r.device ->> 'name' AS device_name,
       sc.params, m.name AS metric, m.value, m.tags, r.cell_key
FROM sweep_cells sc
JOIN runs r ON r.cell_key = sc.cell_key AND r.status = 'ok'
JOIN metrics m ON m.cell_key = r.cell_key
WHERE sc.status IN ('ok', 'reused');
--> statement-breakpoint
-- hypothesis_summary: one row per sweep and hypothesis with cell counts and the verdict.
CREATE VIEW "hypothesis_summary" AS
SELECT sc.sweep_id, sc.hypothesis,
       count(*)::int AS cells,
       count(*) FILTER (WHERE sc.status IN ('ok', 'reused'))::int AS cells_ok,
       count(*) FILTER (WHERE sc.status = 'failed')::int AS cells_failed,
       count(*) FILTER (WHERE sc.status = 'no_worker')::int AS cells_no_worker,
       count(*) FILTER (WHERE sc.status IN ('pending', 'running'))::int AS cells_pending,
       count(DISTINCT sc.seed)::int AS seeds,
       (SELECT count(*)::int FROM metrics m JOIN sweep_cells s2 ON s2.cell_key = m.cell_key
         WHERE s2.sweep_id = sc.sweep_id AND s2.hypothesis = sc.hypothesis AND s2.status IN ('ok', 'reused')) AS metric_rows,
       v.verdict, v.reason
FROM sweep_cells sc
LEFT JOIN verdicts v ON v.sweep_id = sc.sweep_id AND v.hypothesis = sc.hypothesis
GROUP BY sc.sweep_id, sc.hypothesis, v.verdict, v.reason;
