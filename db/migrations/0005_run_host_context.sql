-- What a run's host was doing while it ran (timing metrics mean little without it), and the
-- running cell's last sign of life (which tells "busy worker" from "no worker").
ALTER TABLE "runs" ADD COLUMN "heartbeat_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "threads" integer;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "concurrent_cells" integer;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "exclusive" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
-- metric_rows gains the host context of each value (appended: CREATE OR REPLACE keeps the rest).
CREATE OR REPLACE VIEW "metric_rows" AS
SELECT sc.sweep_id, sc.hypothesis, sc.variant, sc.seed, sc.gpu, sc.cell_index,
       r.kernel, r.kernel_version, r.build_hash, r.device ->> 'name' AS device_name,
       sc.params, m.name AS metric, m.value, m.tags, r.cell_key,
       r.threads, r.concurrent_cells, r.exclusive
FROM sweep_cells sc
JOIN runs r ON r.cell_key = sc.cell_key AND r.status = 'ok'
JOIN metrics m ON m.cell_key = r.cell_key
WHERE sc.status IN ('ok', 'reused');
