// Drizzle schema of everything a sweep stores. Metrics are long-format (one row per value) so any
// new kernel metric lands without a migration; views in migrations/ give researchers flat tables.
import {
  bigserial, boolean, doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, index,
} from 'drizzle-orm/pg-core';

export const sweeps = pgTable('sweeps', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  spec: jsonb('spec').notNull(),
  status: text('status').notNull(), // running | completed | failed | cancelled
  workflowId: text('workflow_id').notNull(),
  runId: text('run_id'),
  gitCommit: text('git_commit'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  error: text('error'),
});

/** A run row's status: running → ok | failed | cancelled, or retrying while its kernel is relaunched. */
export const RUN_STATUSES = ['running', 'retrying', 'ok', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One row per distinct experiment cell, shared by every sweep that runs the same cell_key. */
export const runs = pgTable('runs', {
  cellKey: text('cell_key').primaryKey(),
  kernel: text('kernel').notNull(),
  kernelVersion: text('kernel_version').notNull(),
  buildHash: text('build_hash'),
  variant: text('variant').notNull(),
  params: jsonb('params').notNull(),
  seed: integer('seed').notNull(),
  gpu: text('gpu').notNull(),
  status: text('status').notNull().$type<RunStatus>(),
  /** kernel launches by the current cell activity (waits for Postgres/Temporal never count) */
  attempts: integer('attempts').notNull().default(0),
  device: jsonb('device'),
  build: jsonb('build'),
  worker: text('worker'),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  kernelElapsedS: doublePrecision('kernel_elapsed_s'),
  activityMs: doublePrecision('activity_ms'),
  error: text('error'),
  stderrTail: text('stderr_tail'),
  /** last sign of life of the running cell (the worker writes it every few seconds) */
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
  /** threads the kernel was given */
  threads: integer('threads'),
  /** most other binllm cells running beside this one on its host while it ran (0: it ran alone) */
  concurrentCells: integer('concurrent_cells'),
  /** the cell was exclusive: the worker kept every other cell off its host while it ran */
  exclusive: boolean('exclusive').notNull().default(false),
  /** content fingerprints of the cell's input files by param (activities/input-fingerprint.ts) */
  inputs: jsonb('inputs').notNull().default({}),
});

/** A sweep's view of its cells, including the ones that never ran (no worker, cancelled). */
export const sweepCells = pgTable('sweep_cells', {
  sweepId: text('sweep_id').notNull().references(() => sweeps.id, { onDelete: 'cascade' }),
  hypothesis: text('hypothesis').notNull(),
  cellIndex: integer('cell_index').notNull(),
  kernel: text('kernel').notNull(),
  variant: text('variant').notNull(),
  seed: integer('seed').notNull(),
  gpu: text('gpu').notNull(),
  queue: text('queue').notNull(),
  params: jsonb('params').notNull(),
  cellKey: text('cell_key').references(() => runs.cellKey),
  status: text('status').notNull(), // pending | running | ok | reused | failed | no_worker | cancelled
  reason: text('reason'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.sweepId, t.hypothesis, t.cellIndex] }),
  index('sweep_cells_cell_key').on(t.cellKey),
]);

export const metrics = pgTable('metrics', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  cellKey: text('cell_key').notNull().references(() => runs.cellKey, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  value: doublePrecision('value').notNull(),
  tags: jsonb('tags').notNull().default({}),
}, (t) => [uniqueIndex('metrics_cell_name_tags').on(t.cellKey, t.name, t.tags)]);

/** Per-unit values of one metric in one cell (one row per values event: a query, window or example
 * per array element), so unit-level tests pair variants on `ids` without a metric row per unit. */
export const unitValues = pgTable('unit_values', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  cellKey: text('cell_key').notNull().references(() => runs.cellKey, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  unit: text('unit').notNull(),
  tags: jsonb('tags').notNull().default({}),
  ids: text('ids').array().notNull(),
  values: doublePrecision('values').array().notNull(),
}, (t) => [uniqueIndex('unit_values_cell_name_tags').on(t.cellKey, t.name, t.tags)]);

export const statTests = pgTable('stat_tests', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  sweepId: text('sweep_id').notNull().references(() => sweeps.id, { onDelete: 'cascade' }),
  hypothesis: text('hypothesis').notNull(),
  comparison: text('comparison').notNull(),
  family: text('family').notNull(),
  metric: text('metric').notNull(),
  grid: jsonb('grid').notNull(),
  test: text('test').notNull(),
  alternative: text('alternative').notNull(),
  margin: doublePrecision('margin'),
  n: integer('n').notNull(),
  meanDiff: doublePrecision('mean_diff'),
  sdDiff: doublePrecision('sd_diff'),
  ciLow: doublePrecision('ci_low'),
  ciHigh: doublePrecision('ci_high'),
  statistic: doublePrecision('statistic'),
  df: doublePrecision('df'),
  pValue: doublePrecision('p_value'),
  pHolm: doublePrecision('p_holm'),
  pBh: doublePrecision('p_bh'),
  reject: boolean('reject'),
  details: jsonb('details').notNull().default({}),
}, (t) => [index('stat_tests_sweep').on(t.sweepId, t.hypothesis)]);

export const verdicts = pgTable('verdicts', {
  sweepId: text('sweep_id').notNull().references(() => sweeps.id, { onDelete: 'cascade' }),
  hypothesis: text('hypothesis').notNull(),
  verdict: text('verdict').notNull(),
  reason: text('reason').notNull(),
  keyNumbers: jsonb('key_numbers').notNull().default({}),
  settings: jsonb('settings').notNull().default({}),
  analysis: jsonb('analysis').notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.sweepId, t.hypothesis] })]);

export const reports = pgTable('reports', {
  sweepId: text('sweep_id').notNull().references(() => sweeps.id, { onDelete: 'cascade' }),
  format: text('format').notNull(), // md | html
  content: text('content').notNull(),
  path: text('path'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.sweepId, t.format] })]);
