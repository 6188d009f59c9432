-- Content fingerprints of each run's input files (param -> {path, kind, size, sha256, files}), the
-- same values that enter its cell_key (activities/cell-key.ts), shown in the report's provenance.
ALTER TABLE "runs" ADD COLUMN "inputs" jsonb DEFAULT '{}'::jsonb NOT NULL;
