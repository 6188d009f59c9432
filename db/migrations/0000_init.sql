CREATE TABLE "metrics" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cell_key" text NOT NULL,
	"name" text NOT NULL,
	"value" double precision NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"sweep_id" text NOT NULL,
	"format" text NOT NULL,
	"content" text NOT NULL,
	"path" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reports_sweep_id_format_pk" PRIMARY KEY("sweep_id","format")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"cell_key" text PRIMARY KEY NOT NULL,
	"kernel" text NOT NULL,
	"kernel_version" text NOT NULL,
	"build_hash" text,
	"variant" text NOT NULL,
	"params" jsonb NOT NULL,
	"seed" integer NOT NULL,
	"gpu" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"device" jsonb,
	"build" jsonb,
	"worker" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"kernel_elapsed_s" double precision,
	"activity_ms" double precision,
	"error" text,
	"stderr_tail" text
);
--> statement-breakpoint
CREATE TABLE "stat_tests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sweep_id" text NOT NULL,
	"hypothesis" text NOT NULL,
	"comparison" text NOT NULL,
	"family" text NOT NULL,
	"metric" text NOT NULL,
	"grid" jsonb NOT NULL,
	"test" text NOT NULL,
	"alternative" text NOT NULL,
	"margin" double precision,
	"n" integer NOT NULL,
	"mean_diff" double precision,
	"sd_diff" double precision,
	"ci_low" double precision,
	"ci_high" double precision,
	"statistic" double precision,
	"df" double precision,
	"p_value" double precision,
	"p_holm" double precision,
	"p_bh" double precision,
	"reject" boolean,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sweep_cells" (
	"sweep_id" text NOT NULL,
	"hypothesis" text NOT NULL,
	"cell_index" integer NOT NULL,
	"kernel" text NOT NULL,
	"variant" text NOT NULL,
	"seed" integer NOT NULL,
	"gpu" text NOT NULL,
	"queue" text NOT NULL,
	"params" jsonb NOT NULL,
	"cell_key" text,
	"status" text NOT NULL,
	"reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sweep_cells_sweep_id_hypothesis_cell_index_pk" PRIMARY KEY("sweep_id","hypothesis","cell_index")
);
--> statement-breakpoint
CREATE TABLE "sweeps" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"spec" jsonb NOT NULL,
	"status" text NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text,
	"git_commit" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "verdicts" (
	"sweep_id" text NOT NULL,
	"hypothesis" text NOT NULL,
	"verdict" text NOT NULL,
	"reason" text NOT NULL,
	"key_numbers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"analysis" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "verdicts_sweep_id_hypothesis_pk" PRIMARY KEY("sweep_id","hypothesis")
);
--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_cell_key_runs_cell_key_fk" FOREIGN KEY ("cell_key") REFERENCES "public"."runs"("cell_key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stat_tests" ADD CONSTRAINT "stat_tests_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweep_cells" ADD CONSTRAINT "sweep_cells_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweep_cells" ADD CONSTRAINT "sweep_cells_cell_key_runs_cell_key_fk" FOREIGN KEY ("cell_key") REFERENCES "public"."runs"("cell_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verdicts" ADD CONSTRAINT "verdicts_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "metrics_cell_name_tags" ON "metrics" USING btree ("cell_key","name","tags");--> statement-breakpoint
CREATE INDEX "stat_tests_sweep" ON "stat_tests" USING btree ("sweep_id","hypothesis");--> statement-breakpoint
CREATE INDEX "sweep_cells_cell_key" ON "sweep_cells" USING btree ("cell_key");