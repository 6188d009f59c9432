// The analysis reads the sweep's per-unit values from Postgres (activities/analyze.ts): one set per
// cell and metric, with ids and values in the kernel's order, for cells that ran and cells reused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, ensureStack, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

test('loadSweepAnalysisInput returns the unit values of every completed cell, reused ones included', async () => {
  const s0 = Date.now() % 1_000_000_000;
  const spec = { name: 'unit-analysis', hypotheses: ['H0'], seeds: [s0, s0 + 1], params: { H0: { metrics: 1, unit_values: 5 } }, report: false };
  const client = await temporalClient();
  const run = async () => {
    const id = uniqueId('unit-analysis');
    const h = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
    return { id, result: await h.result() as SweepProgress };
  };
  const first = await run();
  assert.equal(first.result.totals.ok, 2);
  const second = await run();
  assert.equal(second.result.totals.reused, 2);
  await client.connection.close();
  const { loadSweepAnalysisInput } = await import('../../activities/analyze.ts');
  for (const { id } of [first, second]) {
    const input = await loadSweepAnalysisInput(id);
    assert.equal(input.units?.length, 2, `${id}: one set per cell`);
    for (const u of input.units!) {
      assert.equal(u.metric, 'noop_unit_value');
      assert.equal(u.ids.length, 5);
      assert.equal(u.values.length, 5);
      assert.ok(u.values.every(Number.isFinite));
      assert.ok([s0, s0 + 1].includes(u.seed));
    }
  }
});
