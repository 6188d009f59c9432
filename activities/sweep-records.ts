// Bookkeeping activities of a sweep on the control queue: register it, record cells that never
// ran (no worker, failed after retries, cancelled), and close it.
import { execFileSync } from 'node:child_process';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { repoRoot } from '../db/paths.ts';
import { runs, sweepCells, sweeps } from '../db/schema.ts';
import { expandHypothesisCells, type Cell } from '../hypotheses/cells.ts';
import type { HypothesisId } from '../hypotheses/definition.ts';
import { cellIdentity } from './cell-key.ts';
import { sweepCellRow, upsertSweepCells } from './sweep-cell-rows.ts';
import { formatIssues, type SweepSpec } from '../hypotheses/sweep-spec.ts';
import { checkSpecResources, kernelAvailability, type KernelAvailability } from './spec-resources.ts';
import { withDb, type InfraWait } from './infra.ts';

/** Postgres work of a bookkeeping activity: an outage is waited out, the wait heartbeated. */
const db = <T>(what: string, fn: () => Promise<T>) =>
  withDb(what, fn, (wait: InfraWait | null) => { try { Context.current().heartbeat({ wait }); } catch { /* not in an activity */ } });

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { return null; }
}

export async function prepareSweep(input: { sweepId: string; workflowId: string; runId: string; spec: SweepSpec }): Promise<{ kernels: Record<string, KernelAvailability> }> {
  const issues = await checkSpecResources(input.spec);
  if (issues.length) {
    throw ApplicationFailure.nonRetryable(`Invalid sweep spec:\n${formatIssues(issues)}`, 'InvalidSweepSpec', issues);
  }
  await db('registering the sweep', () => getDb().insert(sweeps).values({
    id: input.sweepId, name: input.spec.name, spec: input.spec, status: 'running', workflowId: input.workflowId, runId: input.runId, gitCommit: gitCommit(),
  }).onConflictDoUpdate({ target: sweeps.id, set: { status: 'running', spec: input.spec, runId: input.runId, finishedAt: null, error: null } }));
  return { kernels: await kernelAvailability(input.spec) };
}

export interface CellRecord { cell: Cell; status: 'failed' | 'no_worker' | 'cancelled'; reason: string }

/** Records cells that ended without results; their run rows, if a kernel ever started, end with
 * the same terminal status (a run never stays 'running' or 'retrying' after its cell has ended). */
export async function recordCells(input: { sweepId: string; records: CellRecord[] }): Promise<void> {
  await db('recording cells', () => getDb().transaction(async (tx) => {
    await upsertSweepCells(tx, input.records.map(({ cell, status, reason }) => sweepCellRow(input.sweepId, cell, status, reason)));
    for (const status of ['failed', 'no_worker', 'cancelled'] as const) {
      const indexes = input.records.filter((r) => r.status === status).map((r) => r.cell.index);
      if (!indexes.length) continue;
      await closeRuns(tx, input.sweepId, status === 'cancelled' ? 'cancelled' : 'failed',
        and(eq(sweepCells.sweepId, input.sweepId), eq(sweepCells.hypothesis, input.records[0].cell.hypothesis), inArray(sweepCells.cellIndex, indexes))!);
    }
  }));
}

/** Run rows of the given sweep cells still open ('running', 'retrying') get a terminal status. */
async function closeRuns(tx: Pick<ReturnType<typeof getDb>, 'update'>, sweepId: string, status: 'failed' | 'cancelled', cells: ReturnType<typeof and>) {
  await tx.update(runs).set({ status, finishedAt: new Date(), error: sql`coalesce(${runs.error}, ${`the cell ended ${status} in sweep ${sweepId}`})` })
    .where(and(inArray(runs.status, ['running', 'retrying']),
      inArray(runs.cellKey, sql`(select ${sweepCells.cellKey} from ${sweepCells} where ${cells})`)));
}

export async function finishSweep(input: { sweepId: string; status: 'completed' | 'failed' | 'cancelled'; error?: string }): Promise<void> {
  await db('closing the sweep', () => getDb().transaction(async (tx) => {
    await tx.update(sweeps).set({ status: input.status, finishedAt: new Date(), error: input.error ?? null }).where(eq(sweeps.id, input.sweepId));
    if (input.status !== 'completed') {
      const open = and(eq(sweepCells.sweepId, input.sweepId), inArray(sweepCells.status, ['pending', 'running']));
      await closeRuns(tx, input.sweepId, 'cancelled', open);
      await tx.update(sweepCells).set({ status: 'cancelled', reason: `sweep ${input.status} before this cell finished`, updatedAt: new Date() }).where(open);
    }
  }));
}

/**
 * Cells of a hypothesis that are already complete (by cell_key, with the kernel version the control
 * host has built), recorded as reused in one go so they never wait behind long cells for a slot
 * on their GPU queue. Cells on a host with another kernel version still get the per-cell check.
 */
export async function markReusedCells(input: { sweepId: string; spec: SweepSpec; hypothesis: HypothesisId; kernelVersion: string }): Promise<number[]> {
  const cells = expandHypothesisCells(input.spec, input.hypothesis);
  const keyed: Array<{ cell: Cell; key: string }> = [];
  for (const cell of cells) keyed.push({ cell, key: (await cellIdentity(cell, input.kernelVersion)).key });
  const done = new Set<string>();
  for (let i = 0; i < keyed.length; i += 1000) {
    const rows = await db('looking up completed cells', () => getDb().select({ key: runs.cellKey }).from(runs)
      .where(and(inArray(runs.cellKey, keyed.slice(i, i + 1000).map((k) => k.key)), eq(runs.status, 'ok'))));
    for (const r of rows) done.add(r.key);
  }
  const reused = keyed.filter((k) => done.has(k.key));
  await db('recording reused cells', () => upsertSweepCells(getDb(), reused.map(({ cell, key }) =>
    sweepCellRow(input.sweepId, cell, 'reused', `already complete as cell ${key}; not re-run (force re-runs it)`, key))));
  return reused.map((k) => k.cell.index);
}
