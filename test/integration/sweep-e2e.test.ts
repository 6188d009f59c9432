// A sweep end to end on the real services: spec → Temporal → noop kernel → Postgres rows, the
// progress query, idempotent re-runs (reuse, force) and continue-as-new.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import { kernelLaunches } from '../support/workers.ts';
import { statePaths } from '../../db/paths.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

async function runSweep(spec: Record<string, unknown>, id = uniqueId('e2e'), extra: unknown[] = []) {
  const client = await temporalClient();
  const handle = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec, ...extra] });
  const result = await handle.result() as SweepProgress;
  await client.connection.close();
  return { id, result };
}

// Seeds unique to this run: completed cells are shared across sweeps by cell_key, and the test
// database outlives a test run.
const s0 = Date.now() % 1_000_000_000;
const base = { name: 'e2e', hypotheses: ['H0'], seeds: [s0, s0 + 1, s0 + 2], variants: { H0: ['a', 'b'] }, params: { H0: { metrics: 4 } }, report: false };

test('a sweep stores every metric of every cell once, and a re-run reuses completed cells', async () => {
  const { id, result } = await runSweep(base);
  assert.equal(result.phase, 'completed');
  assert.equal(result.totals.total, 6);
  assert.equal(result.totals.ok, 6);
  const [m] = await query<{ n: number }>("select count(*)::int as n from metric_rows where sweep_id = $1", [id]);
  assert.equal(m.n, 6 * (4 + 1)); // 4 noop values + elapsed_s per cell
  const runs = await query<{ status: string; attempts: number; build_hash: string | null }>(
    'select r.status, r.attempts, r.build_hash from runs r join sweep_cells s on s.cell_key = r.cell_key where s.sweep_id = $1', [id]);
  assert.equal(runs.length, 6);
  assert.ok(runs.every((r) => r.status === 'ok' && r.build_hash && r.build_hash.length > 8));

  // Same cells again: nothing re-runs, nothing duplicates.
  const again = await runSweep(base);
  assert.equal(again.result.totals.reused, 6);
  const [dup] = await query<{ n: number }>(
    `select count(*)::int as n from metrics m join sweep_cells s on s.cell_key = m.cell_key where s.sweep_id = $1`, [again.id]);
  assert.equal(dup.n, 30);
  const [total] = await query<{ n: number; keys: number }>(
    `select count(*)::int as n, count(distinct m.cell_key)::int as keys from metrics m where m.cell_key in (select cell_key from sweep_cells where sweep_id = $1)`, [id]);
  assert.deepEqual(total, { n: 30, keys: 6 });

  // force re-runs them in place: kernels run again (the run folder counts launches), rows do not grow;
  // runs.attempts counts the launches of the current activity only.
  const forced = await runSweep({ ...base, force: true });
  assert.equal(forced.result.totals.ok, 6);
  const [after] = await query<{ n: number; attempts: number }>(
    `select count(*)::int as n, max(r.attempts)::int as attempts from metrics m join runs r on r.cell_key = m.cell_key
     where m.cell_key in (select cell_key from sweep_cells where sweep_id = $1)`, [forced.id]);
  assert.equal(after.n, 30);
  assert.equal(after.attempts, 1);
  const keys = await query<{ cell_key: string }>('select cell_key from sweep_cells where sweep_id = $1', [forced.id]);
  assert.deepEqual(keys.map((k) => kernelLaunches(statePaths().home, k.cell_key)), keys.map(() => 2));
});

test('the progress query reports totals per hypothesis and per queue while a sweep runs', async () => {
  const client = await temporalClient();
  const id = uniqueId('progress');
  const handle = await client.workflow.start('SweepWorkflow', {
    taskQueue: 'binllm', workflowId: id,
    args: [{ ...base, seeds: [s0 + 10, s0 + 11, s0 + 12, s0 + 13], params: { H0: { metrics: 1, sleep_ms: 400 } } }],
  });
  let sawRunning = false;
  for (let i = 0; i < 100 && !sawRunning; i++) {
    const p = await handle.query<SweepProgress>('progress').catch(() => undefined);
    if (p?.hypotheses.H0 && p.hypotheses.H0.counts.running > 0) {
      sawRunning = true;
      assert.equal(p.hypotheses.H0.counts.total, 8);
      assert.ok(p.hypotheses.H0.byQueue['binllm-cpu']);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(sawRunning, 'progress never showed a running cell');
  const final = await handle.result() as SweepProgress;
  assert.equal(final.totals.ok, 8);
  await client.connection.close();
});

test('a long hypothesis continues-as-new and still runs every cell exactly once', async () => {
  const seeds = Array.from({ length: 40 }, (_, i) => s0 + 100 + i);
  const { id, result } = await runSweep({ ...base, seeds, params: { H0: { metrics: 1 } } }, uniqueId('can'), [{ maxHistoryEvents: 120 }]);
  assert.equal(result.totals.ok + result.totals.reused, 80);
  assert.ok(result.hypotheses.H0.runs > 1, `expected continue-as-new, got ${result.hypotheses.H0.runs} run(s)`);
  const [c] = await query<{ n: number; d: number }>(
    'select count(*)::int as n, count(distinct cell_key)::int as d from sweep_cells where sweep_id = $1 and status in ($2, $3)', [id, 'ok', 'reused']);
  assert.deepEqual(c, { n: 80, d: 80 });
});
