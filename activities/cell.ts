// The runCell activity: one experiment cell, from kernel spawn to committed rows. Idempotent by
// cell_key: metrics are replaced in one transaction, so retries and replays never duplicate rows,
// and a cell that is already complete is not re-run unless the sweep is forced.
import path from 'node:path';
import { Context, ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { metrics, runs, sweepCells, unitValues } from '../db/schema.ts';
import { statePaths } from '../db/paths.ts';
import type { Cell } from '../hypotheses/cells.ts';
import { cellIdentity } from './cell-key.ts';
import { getKernel } from './kernel-registry.ts';
import { runKernelProcess } from './run-kernel.ts';
import { workerContext } from './worker-context.ts';
import { sweepCellRow, upsertSweepCells } from './sweep-cell-rows.ts';

export interface RunCellInput { sweepId: string; cell: Cell; force: boolean }
export interface RunCellResult { status: 'ok' | 'reused'; cellKey: string; metrics: number; activityMs: number }

export const FAILURE_TYPES = {
  badConfig: 'KernelBadConfig',
  contract: 'KernelContractViolation',
  missingKernel: 'KernelNotBuilt',
  resource: 'KernelResourceMissing',
  crashed: 'KernelCrashed',
} as const;

export async function runCell(input: RunCellInput): Promise<RunCellResult> {
  const t0 = performance.now();
  const ctx = Context.current();
  const { cell, sweepId } = input;
  const wc = workerContext();
  const kernel = await getKernel(cell.kernel);
  if (!kernel) {
    throw ApplicationFailure.nonRetryable(`kernel "${cell.kernel}" is not built on worker ${wc.identity} (run ./binllm build, or register it in .binllm/kernels.json)`, FAILURE_TYPES.missingKernel);
  }
  const { key, inputs } = await cellIdentity(cell, kernel.version); // includes the input files' content
  const db = getDb();
  const cellWhere = and(eq(sweepCells.sweepId, sweepId), eq(sweepCells.hypothesis, cell.hypothesis), eq(sweepCells.cellIndex, cell.index));
  const [existing] = await db.select({ status: runs.status }).from(runs).where(eq(runs.cellKey, key));
  if (existing?.status === 'ok' && !input.force) {
    await upsertSweepCells(db, [sweepCellRow(sweepId, cell, 'reused', `already complete as cell ${key}; not re-run (force re-runs it)`, key)]);
    const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(metrics).where(eq(metrics.cellKey, key));
    return { status: 'reused', cellKey: key, metrics: n, activityMs: performance.now() - t0 };
  }

  const startedAt = new Date();
  await db.transaction(async (tx) => {
    await tx.insert(runs).values({
      cellKey: key, kernel: cell.kernel, kernelVersion: kernel.version, variant: cell.variant, params: cell.params, seed: cell.seed,
      gpu: cell.gpu, status: 'running', attempts: 1, worker: wc.identity, startedAt, inputs,
    }).onConflictDoUpdate({
      target: runs.cellKey,
      set: { inputs, status: 'running', attempts: sql`${runs.attempts} + 1`, worker: wc.identity, startedAt, finishedAt: null, error: null },
    });
    await upsertSweepCells(tx, [sweepCellRow(sweepId, cell, 'running', null, key)]);
  });

  // Heartbeats carry kernel progress; the timer keeps them flowing through silent phases so the
  // worker's liveness (and cancellation delivery) never depends on how chatty a kernel is.
  let lastProgress: unknown = { phase: 'starting' };
  const beat = setInterval(() => ctx.heartbeat(lastProgress), 2000);
  ctx.heartbeat(lastProgress);
  const paths = statePaths();
  const outcome = await runKernelProcess({
    exe: kernel.path,
    config: { ...cell.params, seed: cell.seed, device: wc.device, threads: wc.threads, work_dir: paths.cache },
    runDir: path.join(paths.runs, key),
    signal: ctx.cancellationSignal,
    onProgress: (p) => { lastProgress = p; },
  }).finally(() => clearInterval(beat));

  const fail = async (status: string, message: string, stderrTail: string | null) => {
    await db.update(runs).set({ status, error: message, stderrTail, finishedAt: new Date() }).where(eq(runs.cellKey, key));
    const cellStatus = status === 'retrying' ? 'running' : status; // the workflow records 'failed' once retries are spent
    await db.update(sweepCells).set({ status: cellStatus, reason: message, updatedAt: new Date() }).where(cellWhere);
  };

  switch (outcome.kind) {
    case 'ok': {
      const committedMetrics = outcome.metrics.length;
      await db.transaction(async (tx) => {
        await tx.delete(metrics).where(eq(metrics.cellKey, key));
        for (let i = 0; i < outcome.metrics.length; i += 1000) {
          await tx.insert(metrics).values(outcome.metrics.slice(i, i + 1000).map((m) => ({ cellKey: key, name: m.name, value: m.value, tags: m.tags })));
        }
        await tx.delete(unitValues).where(eq(unitValues.cellKey, key));
        for (const v of outcome.values) {
          await tx.insert(unitValues).values({ cellKey: key, name: v.name, unit: v.unit, tags: v.tags, ids: v.ids.map(String), values: v.values });
        }
        await tx.update(runs).set({
          status: 'ok', finishedAt: new Date(), kernelElapsedS: outcome.elapsedS, device: outcome.start.device, build: outcome.start.build,
          buildHash: (outcome.start.build.hash as string | undefined) ?? null, error: null, stderrTail: null,
          activityMs: performance.now() - t0,
        }).where(eq(runs.cellKey, key));
        await tx.update(sweepCells).set({ status: 'ok', reason: null, updatedAt: new Date() }).where(cellWhere);
      });
      return { status: 'ok', cellKey: key, metrics: committedMetrics, activityMs: performance.now() - t0 };
    }
    case 'cancelled':
      await fail('cancelled', 'cancelled: the kernel was sent SIGTERM', outcome.stderrTail);
      throw new CancelledFailure('cell cancelled');
    case 'bad-config':
      await fail('failed', outcome.message, outcome.stderrTail);
      throw ApplicationFailure.nonRetryable(`${cell.kernel} rejected its config: ${outcome.message}`, FAILURE_TYPES.badConfig);
    case 'contract-violation':
      await fail('failed', outcome.message, outcome.stderrTail);
      throw ApplicationFailure.nonRetryable(`${cell.kernel} broke the kernel contract: ${outcome.message}`, FAILURE_TYPES.contract);
    case 'resource-missing':
      await fail('retrying', outcome.message, outcome.stderrTail);
      throw ApplicationFailure.retryable(`${cell.kernel}: resource missing on ${wc.identity}: ${outcome.message}`, FAILURE_TYPES.resource);
    case 'crashed':
      await fail('retrying', outcome.message, outcome.stderrTail);
      throw ApplicationFailure.retryable(`${cell.kernel}: ${outcome.message}`, FAILURE_TYPES.crashed);
  }
}
