// Cells that run alone on their host: while an exclusive H0 cell runs (settings.H0.runAlone), no
// other cell runs beside it on the host, here other cells of a concurrent sweep on the same
// 3-slot worker. Checked from the start and finish times of the runs, and from what each run
// recorded about its host (exclusive, threads, concurrent_cells).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';

process.env.BINLLM_HOST_LOCK_DIR = mkdtempSync(path.join(os.tmpdir(), 'binllm-hostlock-')); // this test's host only
const s0 = Date.now() % 1_000_000_000;
before(async () => { await ensureStack(); });
after(async () => { await closeTestDb(); });

test('an exclusive cell never overlaps another cell on its host', async (t) => {
  const worker = await startInProcessWorker({ concurrency: 3 });
  t.after(() => worker.stop());
  const client = await temporalClient();
  const base = { hypotheses: ['H0'], report: false, params: { H0: { metrics: 1, sleep_ms: 1500 } } };
  const alone = uniqueId('alone');
  const crowd = uniqueId('crowd');
  const handles = await Promise.all([
    client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: crowd, args: [{ ...base, name: 'crowd', seeds: [0, 1, 2, 3, 4, 5].map((i) => s0 + i) }] }),
    client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: alone, args: [{ ...base, name: 'alone', seeds: [s0 + 10, s0 + 11], settings: { H0: { runAlone: true } } }] }),
  ]);
  await Promise.all(handles.map((h) => h.result()));
  type Run = { sweep_id: string; cell_key: string; started_at: Date; finished_at: Date; exclusive: boolean; threads: number; concurrent_cells: number; status: string };
  const runs = await query<Run>(
    `select s.sweep_id, r.cell_key, r.started_at, r.finished_at, r.exclusive, r.threads, r.concurrent_cells, r.status
     from sweep_cells s join runs r on r.cell_key = s.cell_key where s.sweep_id = any($1)`, [[alone, crowd]]);
  assert.equal(runs.length, 8);
  assert.ok(runs.every((r) => r.status === 'ok'));
  const exclusive = runs.filter((r) => r.sweep_id === alone);
  const others = runs.filter((r) => r.sweep_id === crowd);
  for (const x of exclusive) {
    assert.equal(x.exclusive, true);
    assert.equal(x.concurrent_cells, 0, 'it ran alone');
    assert.equal(x.threads, os.availableParallelism(), 'alone, it gets every core of the host');
    for (const o of runs.filter((r) => r !== x)) {
      const overlap = o.started_at < x.finished_at && x.started_at < o.finished_at;
      assert.ok(!overlap, `cell ${o.cell_key} [${o.started_at.toISOString()}, ${o.finished_at.toISOString()}] overlaps exclusive ${x.cell_key} [${x.started_at.toISOString()}, ${x.finished_at.toISOString()}]`);
    }
  }
  assert.ok(others.every((o) => !o.exclusive && o.concurrent_cells !== null));
  assert.ok(others.some((o) => o.concurrent_cells > 0), 'the crowd ran side by side (3 slots)');
  const [view] = await query<{ n: number }>('select count(*)::int as n from metric_rows where sweep_id = $1 and exclusive and concurrent_cells = 0', [alone]);
  assert.equal(view.n, 4, 'metric_rows carries the host context (2 cells × 2 metric rows)');
  await client.connection.close();
});
