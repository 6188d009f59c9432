// The runCell activity: one experiment cell, from kernel spawn to committed rows. Idempotent by
// cell_key: metrics are replaced in one transaction, so retries and replays never duplicate rows,
// and a cell that is already complete is not re-run unless the sweep is forced.
// Infrastructure faults are not kernel failures: Postgres outages are waited out (infra.ts), a
// kernel's finished output waits in its run folder until it is committed, and only kernel
// launches count against the cell's attempts (runs.attempts, checked here, not by Temporal).
import os from 'node:os';
import path from 'node:path';
import { Context, ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import { getDb, type Db } from '../db/client.ts';
import { metrics, runs, sweepCells, unitValues, type RunStatus } from '../db/schema.ts';
import { statePaths } from '../db/paths.ts';
import type { Cell } from '../hypotheses/cells.ts';
import { cellIdentity } from './cell-key.ts';
import { acquireHostSlot, type HostSlot } from './host-lock.ts';
import { withDb, type InfraWait } from './infra.ts';
import { getKernel } from './kernel-registry.ts';
import { clearPendingResult, loadPendingResult, runKernelProcess, savePendingResult, type KernelOk } from './run-kernel.ts';
import { workerContext } from './worker-context.ts';
import { sweepCellRow, upsertSweepCells } from './sweep-cell-rows.ts';

export interface RunCellInput {
  sweepId: string;
  cell: Cell;
  force: boolean;
  /** the cell runs alone on its host (HypothesisDefinition.exclusive) */
  exclusive?: boolean;
  /** kernel launches allowed for this cell (timeouts.maxAttempts) */
  maxAttempts?: number;
}
export interface RunCellResult { status: 'ok' | 'reused'; cellKey: string; metrics: number; activityMs: number }

export const FAILURE_TYPES = {
  badConfig: 'KernelBadConfig',
  contract: 'KernelContractViolation',
  missingKernel: 'KernelNotBuilt',
  resource: 'KernelResourceMissing',
  crashed: 'KernelCrashed',
  attemptsSpent: 'KernelAttemptsSpent',
} as const;

export const DEFAULT_KERNEL_ATTEMPTS = 4;

/** What the cell's heartbeats carry: kernel progress, and what it waits for when it waits. */
interface BeatDetails { phase: string; done?: number; total?: number; wait?: InfraWait; host?: string }

/** Heartbeats every 2 s (so liveness and cancellation never depend on a chatty kernel), and while
 * the kernel runs, a sign of life on the run row every 10 s (queue-health.ts reads it). */
function startBeats(ctx: Context, key: string) {
  const d: BeatDetails = { phase: 'starting' };
  let onRow = false;
  let ticks = 0;
  const send = () => ctx.heartbeat({ ...d });
  const timer = setInterval(() => {
    send();
    if (onRow && ++ticks % 5 === 0) {
      getDb().update(runs).set({ heartbeatAt: sql`now()` }).where(eq(runs.cellKey, key)).then(undefined, () => undefined);
    }
  }, 2000);
  send();
  return {
    progress: (p: { phase: string; done: number; total: number }) => { Object.assign(d, p); },
    wait: (w: InfraWait | null) => { d.wait = w ?? undefined; send(); },
    host: (why: string | undefined) => { d.host = why; send(); },
    running: (on: boolean) => { onRow = on; },
    stop: () => clearInterval(timer),
  };
}

export async function runCell(input: RunCellInput): Promise<RunCellResult> {
  const t0 = performance.now();
  const ctx = Context.current();
  const { cell, sweepId } = input;
  const maxAttempts = input.maxAttempts ?? DEFAULT_KERNEL_ATTEMPTS;
  const wc = workerContext();
  const kernel = await getKernel(cell.kernel);
  if (!kernel) {
    throw ApplicationFailure.nonRetryable(`kernel "${cell.kernel}" is not built on worker ${wc.identity} (run ./binllm build, or register it in .binllm/kernels.json)`, FAILURE_TYPES.missingKernel);
  }
  const kernelVersion = kernel.version;
  const { key, inputs } = await cellIdentity(cell, kernelVersion); // includes the input files' content
  const runDir = path.join(statePaths().runs, key);
  const cellWhere = and(eq(sweepCells.sweepId, sweepId), eq(sweepCells.hypothesis, cell.hypothesis), eq(sweepCells.cellIndex, cell.index));
  const beats = startBeats(ctx, key);
  const db = <T>(what: string, fn: (db: Db) => Promise<T>) => withDb(what, () => fn(getDb()), beats.wait);
  const metricCount = () => db('counting metrics', async (d) => (await d.select({ n: sql<number>`count(*)::int` }).from(metrics).where(eq(metrics.cellKey, key)))[0].n);

  const commit = (outcome: KernelOk, host: { concurrentCells?: number }) => db('committing results', (d) => d.transaction(async (tx) => {
    await tx.delete(metrics).where(eq(metrics.cellKey, key));
    for (let i = 0; i < outcome.metrics.length; i += 1000) {
      await tx.insert(metrics).values(outcome.metrics.slice(i, i + 1000).map((m) => ({ cellKey: key, name: m.name, value: m.value, tags: m.tags })));
    }
    await tx.delete(unitValues).where(eq(unitValues.cellKey, key));
    for (const v of outcome.values ?? []) { // a result saved by an older worker has no values
      await tx.insert(unitValues).values({ cellKey: key, name: v.name, unit: v.unit, tags: v.tags, ids: v.ids.map(String), values: v.values });
    }
    await tx.update(runs).set({
      status: 'ok', finishedAt: new Date(), kernelElapsedS: outcome.elapsedS, device: outcome.start.device, build: outcome.start.build,
      buildHash: (outcome.start.build.hash as string | undefined) ?? null, error: null, stderrTail: null,
      activityMs: performance.now() - t0, ...host,
    }).where(eq(runs.cellKey, key));
    await upsertSweepCells(tx, [sweepCellRow(sweepId, cell, 'ok', null, key)]);
  }));

  const fail = async (status: RunStatus, message: string, stderrTail: string | null) => {
    await db('recording the failure', async (d) => {
      await d.update(runs).set({ status, error: message, stderrTail, finishedAt: new Date() }).where(eq(runs.cellKey, key));
      const cellStatus = status === 'retrying' ? 'running' : status;
      await d.update(sweepCells).set({ status: cellStatus, reason: message, updatedAt: new Date() }).where(cellWhere);
    });
  };

  try {
    const [run] = await db('reading the run', (d) => d.select({ status: runs.status, attempts: runs.attempts, error: runs.error }).from(runs).where(eq(runs.cellKey, key)));
    const [mine] = await db('reading the sweep cell', (d) => d.select({ status: sweepCells.status, cellKey: sweepCells.cellKey }).from(sweepCells).where(cellWhere));
    // An earlier attempt of this very cell committed it, and its completion was lost (Temporal away).
    if (run?.status === 'ok' && mine?.status === 'ok' && mine.cellKey === key) {
      return { status: 'ok', cellKey: key, metrics: await metricCount(), activityMs: performance.now() - t0 };
    }
    if (run?.status === 'ok' && !input.force) {
      await db('recording reuse', (d) => upsertSweepCells(d, [sweepCellRow(sweepId, cell, 'reused', `already complete as cell ${key}; not re-run (force re-runs it)`, key)]));
      return { status: 'reused', cellKey: key, metrics: await metricCount(), activityMs: performance.now() - t0 };
    }
    // The kernel finished on this host but its rows never reached Postgres: commit, do not re-run.
    const pending = run ? loadPendingResult(runDir, key, kernel.version) : undefined;
    if (pending) {
      await commit(pending, {});
      clearPendingResult(runDir);
      return { status: 'ok', cellKey: key, metrics: pending.metrics.length, activityMs: performance.now() - t0 };
    }

    // Kernel launches so far by this activity (its first attempt starts the count afresh).
    const launched = ctx.info.attempt === 1 ? 0 : run?.attempts ?? 0;
    if (launched >= maxAttempts) {
      const message = `kernel attempts spent (${launched} of ${maxAttempts}); last error: ${run?.error ?? 'none recorded'}`;
      await fail('failed', message, null);
      throw ApplicationFailure.nonRetryable(message, FAILURE_TYPES.attemptsSpent);
    }

    const exclusive = input.exclusive ?? false;
    const threads = exclusive ? Math.max(1, os.availableParallelism()) : wc.threads; // alone: the whole host
    const slot: HostSlot = await acquireHostSlot({ cellKey: key, exclusive, signal: ctx.cancellationSignal, onWait: beats.host });
    beats.host(undefined);
    let peak = slot.concurrentAtStart;
    try {
      const startedAt = new Date();
      await db('marking the cell running', (d) => d.transaction(async (tx) => {
        const host = { threads, exclusive, concurrentCells: slot.concurrentAtStart, heartbeatAt: startedAt };
        await tx.insert(runs).values({
          cellKey: key, kernel: cell.kernel, kernelVersion: kernel.version, variant: cell.variant, params: cell.params, seed: cell.seed,
          gpu: cell.gpu, status: 'running', attempts: launched + 1, worker: wc.identity, startedAt, inputs, ...host,
        }).onConflictDoUpdate({
          target: runs.cellKey,
          set: { inputs, status: 'running', attempts: launched + 1, worker: wc.identity, startedAt, finishedAt: null, error: null, ...host },
        });
        await upsertSweepCells(tx, [sweepCellRow(sweepId, cell, 'running', null, key)]);
      }));
      beats.running(true);
      const watchHost = setInterval(() => { peak = Math.max(peak, slot.others()); }, 1000);
      const outcome = await runKernelProcess({
        exe: kernel.path,
        config: { ...cell.params, seed: cell.seed, device: wc.device, threads, work_dir: statePaths().cache },
        runDir,
        signal: ctx.cancellationSignal,
        onProgress: beats.progress,
        launch: { worker: wc.identity, attempt: launched + 1, activityAttempt: ctx.info.attempt, sweepId, cellIndex: cell.index },
      }).finally(() => clearInterval(watchHost));
      peak = Math.max(peak, slot.others());
      beats.running(false);
      return await settle(outcome, peak, launched);
    } finally {
      slot.release(); // after the commit, so a run's started_at..finished_at lies inside its hold on the host
      beats.running(false);
    }
  } finally {
    beats.stop();
  }

  async function settle(outcome: Awaited<ReturnType<typeof runKernelProcess>>, peak: number, launched: number): Promise<RunCellResult> {
    switch (outcome.kind) {
      case 'ok': {
        savePendingResult(runDir, { cellKey: key, kernelVersion, outcome });
        await commit(outcome, { concurrentCells: peak });
        clearPendingResult(runDir);
        return { status: 'ok', cellKey: key, metrics: outcome.metrics.length, activityMs: performance.now() - t0 };
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
      case 'crashed': {
        const spent = launched + 1 >= maxAttempts;
        const what = outcome.kind === 'crashed' ? `${cell.kernel}: ${outcome.message}` : `${cell.kernel}: resource missing on ${wc.identity}: ${outcome.message}`;
        const message = spent ? `${what} (kernel attempt ${launched + 1} of ${maxAttempts}: giving up)` : what;
        await fail(spent ? 'failed' : 'retrying', message, outcome.stderrTail);
        const type = outcome.kind === 'crashed' ? FAILURE_TYPES.crashed : FAILURE_TYPES.resource;
        throw spent ? ApplicationFailure.nonRetryable(message, type) : ApplicationFailure.retryable(message, type);
      }
    }
  }
}
