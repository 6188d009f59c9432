// checkQueue (control queue): who serves a cell queue right now. "No worker" is decided from
// evidence that a worker is there, never from how long a cell waited for a slot:
//   - Temporal's pollers of the queue (DescribeTaskQueue) and when each last polled;
//   - this workflow's cells on the queue that a worker has started (a worker whose slots are all
//     busy does not poll; Temporal keeps its cells "started" only while their heartbeats arrive,
//     so a started cell is a live worker now);
//   - runs of other sweeps heartbeating on that GPU generation in Postgres (a worker busy with
//     another sweep's cells); the run row's sign of life is written every 10 s.
// Cells of the queue that wait for Postgres say so in their heartbeat; the check passes that on.
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { and, eq, gt, isNotNull, notInArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { runs, sweepCells } from '../db/schema.ts';
import { connectClient } from '../bin/stack/temporal-connection.ts';
import { describeWait, isUnreachable, type InfraWait } from './infra.ts';

export interface WorkerSeen { identity: string; at: string; how: 'polling' | 'running a cell' }
export interface QueueCheck {
  /** when the check ran (ISO, this host's clock) */
  checkedAt: string;
  /** every worker seen on the queue with the last time it was seen (not filtered by age) */
  seen: WorkerSeen[];
  /** cells of the calling workflow on this queue that wait for a service, in words */
  waits: string[];
  /** false when Postgres could not be asked (the check then relies on Temporal alone) */
  postgres: boolean;
}

// temporal.api.enums.v1: TaskQueueKind NORMAL = 1, TaskQueueType ACTIVITY = 2, PendingActivityState STARTED = 2
const KIND_NORMAL = 1;
const TYPE_ACTIVITY = 2;
const STATE_STARTED = 2;

let client: Promise<Client> | undefined;
const temporal = () => (client ??= connectClient());

type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;
const tsIso = (t: Ts): string | null => (t?.seconds == null ? null : new Date(Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6).toISOString());

/** Run rows count as a sign of life this long after their last heartbeat_at (written every 10 s). */
const ROW_SLACK_S = 20;

export async function checkQueue(input: { sweepId: string; queue: string; gpu: string; activityIdPrefix: string; freshSeconds: number }): Promise<QueueCheck> {
  const c = await temporal();
  const checkedAt = new Date().toISOString();
  const seen: WorkerSeen[] = [];
  const waits: string[] = [];

  const tq = await c.workflowService.describeTaskQueue({
    namespace: c.options.namespace, taskQueue: { name: input.queue, kind: KIND_NORMAL }, taskQueueType: TYPE_ACTIVITY,
  });
  for (const p of tq.pollers ?? []) {
    const at = tsIso(p.lastAccessTime);
    if (at && p.identity) seen.push({ identity: p.identity, at, how: 'polling' });
  }

  const caller = Context.current().info.workflowExecution;
  const d = caller ? await c.workflow.getHandle(caller.workflowId, caller.runId).describe() : undefined;
  for (const a of d?.raw.pendingActivities ?? []) {
    if (!a.activityId?.startsWith(input.activityIdPrefix)) continue;
    const details = a.heartbeatDetails?.payloads?.[0];
    const beat = details ? defaultPayloadConverter.fromPayload<{ wait?: InfraWait; host?: string } | undefined>(details) : undefined;
    if (beat?.wait) waits.push(`cell ${a.activityId.slice(input.activityIdPrefix.length)}: ${describeWait(beat.wait)}`);
    else if (beat?.host) waits.push(`cell ${a.activityId.slice(input.activityIdPrefix.length)}: ${beat.host}`);
    if (a.state === STATE_STARTED && a.lastWorkerIdentity) seen.push({ identity: a.lastWorkerIdentity, at: checkedAt, how: 'running a cell' });
  }

  let postgres = true;
  try {
    const rows = await getDb().selectDistinct({ worker: runs.worker }).from(runs)
      .where(and(eq(runs.gpu, input.gpu), eq(runs.status, 'running'),
        gt(runs.heartbeatAt, sql`now() - make_interval(secs => ${input.freshSeconds + ROW_SLACK_S})`),
        notInArray(runs.cellKey, getDb().select({ k: sql<string>`${sweepCells.cellKey}` }).from(sweepCells)
          .where(and(eq(sweepCells.sweepId, input.sweepId), isNotNull(sweepCells.cellKey))))));
    for (const r of rows) if (r.worker) seen.push({ identity: r.worker, at: checkedAt, how: 'running a cell' });
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    postgres = false;
  }
  return { checkedAt, seen, waits, postgres };
}
