// The pure parts of `binllm sweep wait`: the live panel, the ETA and what counts as a failed sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtaTracker, fmtSeconds, problemsOf, progressPanel } from '../../bin/commands/sweep.ts';
import { emptyCounts, type SweepProgress } from '../../workflows/progress.ts';

const progress = (ok: number, failed: number, running: number): SweepProgress => {
  const counts = { ...emptyCounts(10), ok, failed, running };
  return {
    sweepId: 's', phase: 'running', totals: counts,
    hypotheses: { H1: { hypothesis: 'H1', state: 'running', counts, byQueue: {}, noWorkerQueues: { 'binllm-h100': 'no worker polls binllm-h100 since 12:00:00 UTC' }, queues: {}, runs: 1 } },
  };
};

test('the panel shows done / in flight / failed, elapsed, an ETA from the observed rate, and no-worker messages', () => {
  const eta = new EtaTracker();
  const first = progressPanel(progress(2, 0, 2), 30, eta, 0);
  assert.match(first[0], /elapsed 30s/);
  assert.match(first[1], /2\/10 done · 2 in flight · 0 failed · ETA —/);
  assert.match(first.join('\n'), /binllm-h100: no worker polls binllm-h100/);
  // 2 more cells finished in 10 s → 0.2 cells/s; 4 pending + 2 running left → 30 s
  const later = progressPanel(progress(3, 1, 2), 40, eta, 10_000);
  assert.match(later[1], /3\/10 done · 2 in flight · 1 failed · ETA 30s/);
  assert.equal(fmtSeconds(3725), '1h02m');
});

test('a sweep is not clean when cells failed, it did not complete, or a hypothesis has no verdict', () => {
  const done = { ...progress(10, 0, 0), phase: 'completed' as const, verdicts: [{ hypothesis: 'H1', verdict: 'inconclusive', reason: '…' }] };
  assert.deepEqual(problemsOf(done, ['H1']), []);
  assert.match(problemsOf({ ...done, totals: { ...done.totals, ok: 7, failed: 3 } }, ['H1'])[0], /3 of 10 cells produced no result \(3 failed/);
  assert.match(problemsOf({ ...done, verdicts: [] }, ['H1'])[0], /no verdict for H1/);
  assert.match(problemsOf({ ...done, phase: 'failed' }, ['H1'])[0], /ended failed/);
});
