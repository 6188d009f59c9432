// HypothesisWorkflow: runs one hypothesis's cells as activities on their GPU queues, as many at a
// time per queue as the workers serving it have slots, reports progress to the parent sweep, and
// continues-as-new before its history grows large (carrying per-queue cursors, counts and queue
// health: finished cells live in Postgres). A queue's cells wait for a worker however long one is
// busy; a queue nobody serves is reported, and given up only when the spec asks for it.
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, condition, continueAsNew,
  getExternalWorkflowHandle, isCancellation, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { expandHypothesisCells, type Cell } from '../hypotheses/cells.ts';
import { CONTROL_QUEUE, type HypothesisId } from '../hypotheses/definition.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import { hypothesisSettings, type SweepSpec } from '../hypotheses/sweep-spec.ts';
import type { QueueCheck } from '../activities/queue-health.ts';
import { slotsOfIdentity } from '../activities/worker-identity.ts';
import { emptyCounts, sumCounts, type CellCounts, type HypothesisProgress, type QueueHealth } from './progress.ts';
import { hypothesisProgressSignal, progressQuery } from './signals.ts';

export interface HypothesisInput {
  sweepId: string;
  parentWorkflowId: string;
  spec: SweepSpec;
  hypothesis: HypothesisId;
  /** carried across continue-as-new */
  cursors?: Record<string, number>;
  counts?: Record<string, CellCounts>;
  queues?: Record<string, QueueHealth>;
  runs?: number;
  /** history length that triggers continue-as-new (tests lower it) */
  maxHistoryEvents?: number;
  /** the kernel version on the control host: lets the first run mark completed cells reused in bulk */
  kernelVersion?: string;
}

/** Temporal attempts of a cell beyond its kernel attempts: each outage of Temporal can cost one
 * (a heartbeat timeout while the server was away); the activity itself counts kernel launches. */
const INFRA_ATTEMPT_SLACK = 10;
const NON_RETRYABLE = ['KernelBadConfig', 'KernelContractViolation', 'KernelNotBuilt', 'KernelAttemptsSpent', 'InfrastructureUnavailable'];

const control = proxyActivities<typeof activities>({
  taskQueue: CONTROL_QUEUE,
  // bookkeeping waits out a Postgres outage inside the activity (BINLLM_INFRA_WAIT_MINUTES), heartbeating
  startToCloseTimeout: '70 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const health = proxyActivities<typeof activities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 2, initialInterval: '1 second' }, // a failed check is skipped: the next one follows
});

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
export const noWorkerMessage = (queue: string, since: string) => `no worker polls ${queue} since ${utc(since)}`;

export async function HypothesisWorkflow(input: HypothesisInput): Promise<HypothesisProgress> {
  const { spec, hypothesis, sweepId } = input;
  const def = HYPOTHESES[hypothesis];
  const cells = expandHypothesisCells(spec, hypothesis);
  const lanes = new Map<string, Cell[]>();
  for (const c of cells) lanes.set(c.queue, [...(lanes.get(c.queue) ?? []), c]);
  const settings = hypothesisSettings(spec, hypothesis);
  const exclusiveOf = (cell: Cell) => (typeof def.exclusive === 'function' ? def.exclusive(settings, cell.params) : def.exclusive === true);

  const counts: Record<string, CellCounts> = {};
  for (const [q, lane] of lanes) counts[q] = { ...(input.counts?.[q] ?? emptyCounts(lane.length)), running: 0 };
  const cursors: Record<string, number> = { ...(input.cursors ?? {}) };
  const queues: Record<string, QueueHealth> = { ...(input.queues ?? {}) };
  const noWorker: Record<string, string> = {};
  for (const [q, h] of Object.entries(queues)) if (h.noWorkerSince) noWorker[q] = noWorkerMessage(q, h.noWorkerSince);
  const maxEvents = input.maxHistoryEvents ?? 4000;
  let state: HypothesisProgress['state'] = 'running';

  const progress = (): HypothesisProgress => ({
    hypothesis, state, counts: sumCounts(Object.values(counts)), byQueue: counts, noWorkerQueues: noWorker, queues, runs: (input.runs ?? 0) + 1,
  });
  setHandler(progressQuery, progress);

  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  let lastSent = 0;
  const report = async (force = false) => {
    if (!force && Date.now() - lastSent < 2000) return;
    lastSent = Date.now();
    try { await parent.signal(hypothesisProgressSignal, progress()); } catch { /* parent gone: nothing to tell */ }
  };

  // First run only: cells already complete are recorded as reused in one activity instead of each
  // waiting for a slot on its GPU queue (later runs still reuse them, one check per cell).
  const skip = new Set<number>();
  if (!input.runs && !spec.force && input.kernelVersion) {
    for (const i of await control.markReusedCells({ sweepId, spec, hypothesis, kernelVersion: input.kernelVersion })) skip.add(i);
    for (const c of cells) if (skip.has(c.index)) counts[c.queue].reused++;
  }

  const t = spec.timeouts;
  const noWorkerMs = t.noWorkerSeconds * 1000;
  const checkEveryMs = Math.min(15_000, Math.max(2_000, noWorkerMs / 4));
  const kernelAttempts = t.maxAttempts ?? 4;
  const stopLaunching = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxEvents;

  async function runLane(queue: string, lane: Cell[]): Promise<void> {
    const gpu = lane[0].gpu;
    const fixedLimit = spec.concurrency[gpu as keyof typeof spec.concurrency];
    const h = (queues[queue] ??= { workers: [], slots: 0, lastSeenAt: null, waitingSince: new Date().toISOString(), waits: [] });
    const c = counts[queue];
    const laneScope = CancellationScope.current();
    let inFlight = 0;
    let gaveUp = false;
    let finished = false;
    const waiting = new Set<CancellationScope>(); // one per cell in flight, cancelled when the lane gives up

    /** Folds one check into the queue's health: who serves it, how many slots, since when nobody. */
    const apply = (r: QueueCheck) => {
      const now = Date.now();
      for (const s of r.seen) if (!h.lastSeenAt || s.at > h.lastSeenAt) h.lastSeenAt = s.at;
      // fresh as of the check itself: a result that reaches a busy workflow late is not stale
      const checked = Date.parse(r.checkedAt);
      const fresh = [...new Set(r.seen.filter((s) => checked - Date.parse(s.at) <= noWorkerMs).map((s) => s.identity))];
      h.workers = fresh;
      h.slots = fresh.reduce((n, id) => n + slotsOfIdentity(id), 0);
      h.waits = r.waits;
      h.checkedAt = r.checkedAt;
      const since = h.lastSeenAt ?? h.waitingSince;
      if (fresh.length === 0 && now - Date.parse(since) >= noWorkerMs) {
        h.noWorkerSince = since;
        noWorker[queue] = noWorkerMessage(queue, since);
        // give up only on evidence from both services: with Postgres away, busy workers may be unseen
        if (t.giveUpNoWorkerSeconds && r.postgres && now - Date.parse(since) >= t.giveUpNoWorkerSeconds * 1000) {
          gaveUp = true;
          for (const s of waiting) s.cancel();
        }
      } else if (fresh.length) {
        delete h.noWorkerSince;
        delete noWorker[queue];
      }
    };
    const check = async () => {
      try {
        apply(await health.checkQueue({ sweepId, queue, gpu, activityIdPrefix: `${queue}/`, freshSeconds: t.noWorkerSeconds }));
      } catch (err) {
        if (isCancellation(err)) throw err; // otherwise: the next check follows
      }
      await report();
    };
    /** A cell that came back from a worker is evidence of one, whatever the last check said. */
    const sawWorker = () => {
      h.lastSeenAt = new Date().toISOString();
      delete h.noWorkerSince;
      delete noWorker[queue];
    };
    const limit = () => fixedLimit ?? Math.max(1, h.slots);
    const giveUpReason = () => `${noWorker[queue] ?? `no worker polls ${queue}`}; gave up after ${t.giveUpNoWorkerSeconds} s (timeouts.giveUpNoWorkerSeconds)`;

    const runOne = async (cell: Cell) => {
      inFlight++; c.running++;
      const { runCell } = proxyActivities<typeof activities>({
        taskQueue: queue,
        activityId: `${queue}/${cell.index}`, // checkQueue finds this queue's cells by it
        startToCloseTimeout: `${t.startToCloseMinutes ?? def.timeouts.startToCloseMinutes} minutes`,
        heartbeatTimeout: `${t.heartbeatSeconds ?? def.timeouts.heartbeatSeconds} seconds`,
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry: {
          initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes',
          maximumAttempts: kernelAttempts + INFRA_ATTEMPT_SLACK, nonRetryableErrorTypes: NON_RETRYABLE,
        },
      });
      const scope = new CancellationScope();
      waiting.add(scope);
      try {
        const r = await scope.run(() => runCell({ sweepId, cell, force: spec.force, exclusive: exclusiveOf(cell), maxAttempts: kernelAttempts }));
        sawWorker();
        if (r.status === 'reused') c.reused++; else c.ok++;
      } catch (err) {
        if (isCancellation(err) && gaveUp && !laneScope.consideredCancelled) {
          c.noWorker++;
          await control.recordCells({ sweepId, records: [{ cell, status: 'no_worker', reason: giveUpReason() }] });
        } else if (isCancellation(err)) {
          c.cancelled++;
          throw err;
        } else {
          sawWorker();
          c.failed++;
          const cause = err instanceof ActivityFailure ? err.cause : err;
          const reason = cause instanceof Error ? cause.message : String(cause);
          await control.recordCells({ sweepId, records: [{ cell, status: 'failed', reason }] });
        }
      } finally {
        waiting.delete(scope);
        inFlight--; c.running--;
        await report();
      }
    };

    await check(); // know the queue's slots before launching
    const watcher = (async () => {
      while (!finished) {
        await condition(() => finished, checkEveryMs);
        if (!finished) await check();
      }
    })().catch(() => undefined); // only a cancellation reaches here; the lane's cells carry it

    const running: Promise<void>[] = [];
    let next = cursors[queue] ?? 0;
    while (next < lane.length && !stopLaunching() && !gaveUp) {
      if (skip.has(lane[next].index)) { next++; continue; }
      await condition(() => gaveUp || inFlight < limit());
      if (gaveUp || stopLaunching()) break;
      running.push(runOne(lane[next++]));
    }
    if (gaveUp) {
      const rest = lane.slice(next).filter((cell) => !skip.has(cell.index));
      c.noWorker += rest.length;
      if (rest.length) await control.recordCells({ sweepId, records: rest.map((cell) => ({ cell, status: 'no_worker' as const, reason: giveUpReason() })) });
      next = lane.length;
    }
    try {
      await Promise.all(running);
    } finally {
      finished = true;
    }
    await watcher;
    cursors[queue] = next;
  }

  try {
    await Promise.all([...lanes].map(([q, lane]) => runLane(q, lane)));
  } catch (err) {
    if (isCancellation(err)) {
      state = 'cancelled';
      await CancellationScope.nonCancellable(() => report(true));
    }
    throw err;
  }

  const unfinished = [...lanes].some(([q, lane]) => (cursors[q] ?? 0) < lane.length);
  if (unfinished) {
    await report(true);
    await continueAsNew<typeof HypothesisWorkflow>({
      ...input, cursors, counts, queues, runs: (input.runs ?? 0) + 1,
    });
  }
  state = 'done';
  const final = progress();
  await report(true);
  if (final.counts.ok + final.counts.reused === 0 && final.counts.total > 0) {
    throw ApplicationFailure.nonRetryable(`${hypothesis}: none of its ${final.counts.total} cells completed`, 'NoCellCompleted', final);
  }
  return final;
}
