// SweepWorkflow: validates a spec (from the CLI or pasted into the Temporal UI), starts one child
// HypothesisWorkflow per hypothesis that has runs, then analyses and reports. It never carries
// metric data: children report counts, metrics go from kernels straight to Postgres.
import {
  ApplicationFailure, CancellationScope, executeChild, isCancellation, proxyActivities, setHandler, upsertMemo,
  upsertSearchAttributes, workflowInfo, ParentClosePolicy,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { CONTROL_QUEUE } from '../hypotheses/definition.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import { planSweep } from '../hypotheses/cells.ts';
import { formatIssues, validateSweepSpec } from '../hypotheses/sweep-spec.ts';
import { HypothesisWorkflow } from './hypothesis.ts';
import { emptyCounts, sumCounts, type SweepProgress } from './progress.ts';
import { hypothesisProgressSignal, progressQuery } from './signals.ts';

const control = proxyActivities<typeof activities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  // generous: an attempt that met a Postgres outage is retried until the server is back
  retry: { maximumAttempts: 12, initialInterval: '2 seconds', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InvalidSweepSpec'] },
});

export interface SweepOptions { maxHistoryEvents?: number }

export async function SweepWorkflow(specInput: unknown, options: SweepOptions = {}): Promise<SweepProgress> {
  const info = workflowInfo();
  const sweepId = info.workflowId;
  const progress: SweepProgress = { sweepId, phase: 'validating', hypotheses: {}, totals: emptyCounts() };
  setHandler(progressQuery, () => ({ ...progress, totals: sumCounts(Object.values(progress.hypotheses).map((h) => h.counts)) }));
  setHandler(hypothesisProgressSignal, (p) => { progress.hypotheses[p.hypothesis] = p; });

  const v = validateSweepSpec(specInput);
  if (!v.ok) {
    progress.phase = 'failed';
    throw ApplicationFailure.nonRetryable(`Invalid sweep spec:\n${formatIssues(v.issues)}`, 'InvalidSweepSpec', v.issues);
  }
  const spec = v.spec;
  const plan = planSweep(spec);
  upsertSearchAttributes({ BinllmSweepId: [sweepId], BinllmHypotheses: spec.hypotheses });
  upsertMemo({
    spec: { name: spec.name, hypotheses: spec.hypotheses, seeds: spec.seeds, gpus: spec.gpus, cells: plan.totalCells },
    warnings: v.warnings.map((w) => `${w.path}: ${w.message}`),
  });

  try {
    progress.phase = 'preparing';
    const { kernels } = await control.prepareSweep({ sweepId, workflowId: info.workflowId, runId: info.runId, spec });
    progress.phase = 'running';
    for (const p of plan.hypotheses) {
      if (p.kernel) {
        progress.hypotheses[p.hypothesis] = {
          hypothesis: p.hypothesis, state: 'pending', counts: emptyCounts(p.cells), byQueue: {}, noWorkerQueues: {}, queues: {}, runs: 0,
        };
      }
    }
    const children = spec.hypotheses.filter((h) => HYPOTHESES[h].kernel).map((h) =>
      executeChild(HypothesisWorkflow, {
        workflowId: `${sweepId}.${h}`,
        taskQueue: CONTROL_QUEUE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        searchAttributes: { BinllmSweepId: [sweepId], BinllmHypotheses: [h] },
        memo: { sweep: sweepId, hypothesis: h, title: HYPOTHESES[h].title },
        args: [{ sweepId, parentWorkflowId: sweepId, spec, hypothesis: h, maxHistoryEvents: options.maxHistoryEvents, kernelVersion: kernels[HYPOTHESES[h].kernel!]?.version }],
      }).then((final) => { progress.hypotheses[h] = final; }, (err) => {
        if (isCancellation(err)) throw err;
        const prev = progress.hypotheses[h];
        if (prev) prev.state = 'failed';
      }));
    await Promise.all(children);

    progress.phase = 'analysing';
    progress.verdicts = (await control.analyzeSweep({ sweepId })).verdicts;
    if (spec.report) {
      progress.phase = 'reporting';
      progress.report = await control.renderSweepReport({ sweepId, finalStatus: 'completed' });
    }
    await control.finishSweep({ sweepId, status: 'completed' });
    progress.phase = 'completed';
    return { ...progress, totals: sumCounts(Object.values(progress.hypotheses).map((h) => h.counts)) };
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.phase = cancelled ? 'cancelled' : 'failed';
    const message = err instanceof Error ? err.message : String(err);
    await CancellationScope.nonCancellable(() => control.finishSweep({ sweepId, status: cancelled ? 'cancelled' : 'failed', error: message }));
    throw err;
  }
}
