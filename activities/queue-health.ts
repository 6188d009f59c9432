// checkQueue (control queue): who serves a cell queue right now. "No worker" is decided from
// evidence that a worker is there, never from how long a cell waited for a slot:
//   - Temporal's pollers of the queue (DescribeTaskQueue) and when each last polled;
//   - this workflow's cells on the queue that a worker has started and still heartbeats (a worker
//     whose slots are all busy does not poll, but its cells heartbeat);
//   - runs heartbeating on that GPU generation in Postgres (busy with another sweep's cells).
// Cells of the queue that wait for Postgres say so in their heartbeat; the check passes that on.
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { and, eq, gt, sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { runs } from '../db/schema.ts';
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

export async function checkQueue(input: { queue: string; gpu: string; activityIdPrefix: string; freshSeconds: number }): Promise<QueueCheck> {
  const c = await temporal();
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
    const at = tsIso(a.lastHeartbeatTime) ?? tsIso(a.lastStartedTime);
    if (a.state === STATE_STARTED && at && a.lastWorkerIdentity) seen.push({ identity: a.lastWorkerIdentity, at, how: 'running a cell' });
  }

  let postgres = true;
  try {
    const rows = await getDb().select({ worker: runs.worker, at: sql<string>`max(${runs.heartbeatAt})` }).from(runs)
      .where(and(eq(runs.gpu, input.gpu), eq(runs.status, 'running'), gt(runs.heartbeatAt, sql`now() - make_interval(secs => ${input.freshSeconds})`)))
      .groupBy(runs.worker);
    for (const r of rows) if (r.worker && r.at) seen.push({ identity: r.worker, at: new Date(r.at).toISOString(), how: 'running a cell' });
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    postgres = false;
  }
  return { checkedAt: new Date().toISOString(), seen, waits, postgres };
}
