-- Per-unit values (KERNELS.md "values" events): one row per cell, metric and tags, with the unit ids
-- and their values as two parallel arrays.
CREATE TABLE "unit_values" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cell_key" text NOT NULL,
	"name" text NOT NULL,
	"unit" text NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ids" text[] NOT NULL,
	"values" double precision[] NOT NULL,
	CONSTRAINT "unit_values_same_length" CHECK (cardinality("ids") = cardinality("values"))
);
--> statement-breakpoint
ALTER TABLE "unit_values" ADD CONSTRAINT "unit_values_cell_key_runs_cell_key_fk" FOREIGN KEY ("cell_key") REFERENCES "public"."runs"("cell_key") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "unit_values_cell_name_tags" ON "unit_values" USING btree ("cell_key","name","tags");
--> statement-breakpoint
-- unit_value_rows: one row per unit value with its sweep, hypothesis and cell coordinates.
CREATE VIEW "unit_value_rows" AS
SELECT sc.sweep_id, sc.hypothesis, sc.variant, sc.seed, sc.gpu, sc.cell_index,
       r.kernel, r.kernel_version, sc.params, u.name AS metric, u.unit, u.tags,
       x.unit_id, x.value, r.cell_key
FROM sweep_cells sc
JOIN runs r ON r.cell_key = sc.cell_key AND r.status = 'ok'
JOIN unit_values u ON u.cell_key = r.cell_key
CROSS JOIN LATERAL unnest(u.ids, u."values") AS x(unit_id, value)
WHERE sc.status IN ('ok', 'reused');
