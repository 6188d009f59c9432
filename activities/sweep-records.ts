// Bookkeeping activities of a sweep on the control queue: register it, record cells that never
// ran (no worker, failed after retries, cancelled), and close it.
import { execFileSync } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { repoRoot } from '../db/paths.ts';
import { sweepCells, sweeps } from '../db/schema.ts';
import type { Cell } from '../hypotheses/cells.ts';
import { formatIssues, type SweepSpec } from '../hypotheses/sweep-spec.ts';
import { checkSpecResources, kernelAvailability, type KernelAvailability } from './spec-resources.ts';

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
  await getDb().insert(sweeps).values({
    id: input.sweepId, name: input.spec.name, spec: input.spec, status: 'running', workflowId: input.workflowId, runId: input.runId, gitCommit: gitCommit(),
  }).onConflictDoUpdate({ target: sweeps.id, set: { status: 'running', spec: input.spec, runId: input.runId, finishedAt: null, error: null } });
  return { kernels: await kernelAvailability(input.spec) };
}

export interface CellRecord { cell: Cell; status: 'failed' | 'no_worker' | 'cancelled'; reason: string }

export async function recordCells(input: { sweepId: string; records: CellRecord[] }): Promise<void> {
  const db = getDb();
  for (let i = 0; i < input.records.length; i += 500) {
    const rows = input.records.slice(i, i + 500).map(({ cell, status, reason }) => ({
      sweepId: input.sweepId, hypothesis: cell.hypothesis, cellIndex: cell.index, kernel: cell.kernel, variant: cell.variant,
      seed: cell.seed, gpu: cell.gpu, queue: cell.queue, params: cell.params, status, reason, updatedAt: new Date(),
    }));
    await db.insert(sweepCells).values(rows).onConflictDoUpdate({
      target: [sweepCells.sweepId, sweepCells.hypothesis, sweepCells.cellIndex],
      set: { status: sql`excluded.status`, reason: sql`excluded.reason`, updatedAt: new Date() },
    });
  }
}

export async function finishSweep(input: { sweepId: string; status: 'completed' | 'failed' | 'cancelled'; error?: string }): Promise<void> {
  const db = getDb();
  await db.update(sweeps).set({ status: input.status, finishedAt: new Date(), error: input.error ?? null }).where(eq(sweeps.id, input.sweepId));
  if (input.status !== 'completed') {
    await db.update(sweepCells).set({ status: 'cancelled', reason: `sweep ${input.status} before this cell finished`, updatedAt: new Date() })
      .where(and(eq(sweepCells.sweepId, input.sweepId), inArray(sweepCells.status, ['pending', 'running'])));
  }
}
