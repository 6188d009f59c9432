// HypothesisWorkflow: runs one hypothesis's cells as activities on their GPU queues with bounded
// concurrency per queue, reports progress to the parent sweep, and continues-as-new before its
// history grows large (carrying only per-queue cursors and counts: finished cells live in Postgres).
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, condition, continueAsNew,
  getExternalWorkflowHandle, isCancellation, proxyActivities, setHandler, TimeoutFailure, workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type * as activities from '../activities/index.ts';
import { expandHypothesisCells, type Cell } from '../hypotheses/cells.ts';
import { CONTROL_QUEUE, type HypothesisId } from '../hypotheses/definition.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import type { SweepSpec } from '../hypotheses/sweep-spec.ts';
import { emptyCounts, sumCounts, type CellCounts, type HypothesisProgress } from './progress.ts';
import { hypothesisProgressSignal, progressQuery } from './signals.ts';

export interface HypothesisInput {
  sweepId: string;
  parentWorkflowId: string;
  spec: SweepSpec;
  hypothesis: HypothesisId;
  /** carried across continue-as-new */
  cursors?: Record<string, number>;
  counts?: Record<string, CellCounts>;
  noWorkerQueues?: Record<string, string>;
  runs?: number;
  /** history length that triggers continue-as-new (tests lower it) */
  maxHistoryEvents?: number;
  /** the kernel version on the control host: lets the first run mark completed cells reused in bulk */
  kernelVersion?: string;
}

const DEFAULT_INFLIGHT: Record<string, number> = { cpu: 4 };
const GPU_INFLIGHT = 2;

const control = proxyActivities<typeof activities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10, initialInterval: '1 second' },
});

export async function HypothesisWorkflow(input: HypothesisInput): Promise<HypothesisProgress> {
  const { spec, hypothesis, sweepId } = input;
  const def = HYPOTHESES[hypothesis];
  const cells = expandHypothesisCells(spec, hypothesis);
  const lanes = new Map<string, Cell[]>();
  for (const c of cells) lanes.set(c.queue, [...(lanes.get(c.queue) ?? []), c]);

  const counts: Record<string, CellCounts> = {};
  for (const [q, lane] of lanes) counts[q] = { ...(input.counts?.[q] ?? emptyCounts(lane.length)), running: 0 };
  const cursors: Record<string, number> = { ...(input.cursors ?? {}) };
  const noWorker: Record<string, string> = { ...(input.noWorkerQueues ?? {}) };
  const maxEvents = input.maxHistoryEvents ?? 4000;
  let state: HypothesisProgress['state'] = 'running';

  const progress = (): HypothesisProgress => ({
    hypothesis, state, counts: sumCounts(Object.values(counts)), byQueue: counts, noWorkerQueues: noWorker, runs: (input.runs ?? 0) + 1,
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
  const stopLaunching = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxEvents;

  async function runLane(queue: string, lane: Cell[]): Promise<void> {
    const gpu = lane[0].gpu;
    const limit = spec.concurrency[gpu as keyof typeof spec.concurrency] ?? DEFAULT_INFLIGHT[gpu] ?? GPU_INFLIGHT;
    const { runCell } = proxyActivities<typeof activities>({
      taskQueue: queue,
      scheduleToStartTimeout: `${t.scheduleToStartSeconds ?? 600} seconds`,
      startToCloseTimeout: `${t.startToCloseMinutes ?? def.timeouts.startToCloseMinutes} minutes`,
      heartbeatTimeout: `${t.heartbeatSeconds ?? def.timeouts.heartbeatSeconds} seconds`,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: t.maxAttempts ?? 4,
        nonRetryableErrorTypes: ['KernelBadConfig', 'KernelContractViolation', 'KernelNotBuilt'],
      },
    });
    const c = counts[queue];
    let inFlight = 0;
    const running: Promise<void>[] = [];

    const runOne = async (cell: Cell) => {
      inFlight++; c.running++;
      try {
        const r = await runCell({ sweepId, cell, force: spec.force });
        if (r.status === 'reused') c.reused++; else c.ok++;
      } catch (err) {
        if (isCancellation(err)) { c.cancelled++; throw err; }
        const cause = err instanceof ActivityFailure ? err.cause : err;
        if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
          noWorker[queue] ??= `no worker polls ${queue} (waited ${t.scheduleToStartSeconds ?? 600} s for one)`;
          c.noWorker++;
          await control.recordCells({ sweepId, records: [{ cell, status: 'no_worker', reason: noWorker[queue] }] });
        } else {
          c.failed++;
          const reason = cause instanceof Error ? cause.message : String(cause);
          await control.recordCells({ sweepId, records: [{ cell, status: 'failed', reason }] });
        }
      } finally {
        inFlight--; c.running--;
        await report();
      }
    };

    let next = cursors[queue] ?? 0;
    while (next < lane.length && !stopLaunching()) {
      if (noWorker[queue]) {
        const rest = lane.slice(next).filter((cell) => !skip.has(cell.index));
        c.noWorker += rest.length;
        await control.recordCells({ sweepId, records: rest.map((cell) => ({ cell, status: 'no_worker' as const, reason: noWorker[queue] })) });
        next = lane.length;
        break;
      }
      if (skip.has(lane[next].index)) { next++; continue; }
      await condition(() => inFlight < limit);
      if (noWorker[queue] || stopLaunching()) continue;
      running.push(runOne(lane[next++]));
    }
    await Promise.all(running);
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
      ...input, cursors, counts, noWorkerQueues: noWorker, runs: (input.runs ?? 0) + 1,
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
