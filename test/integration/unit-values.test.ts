// Per-unit values ("values" events, KERNELS.md) go from the kernel to unit_values through a real
// sweep, once per cell, and the unit_value_rows view unnests them with their cell coordinates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

test('a kernel\'s per-unit values are stored once per cell and pair across variants by unit id', async () => {
  const s0 = Date.now() % 1_000_000_000;
  const spec = { name: 'units', hypotheses: ['H0'], seeds: [s0, s0 + 1], variants: { H0: ['a', 'b'] }, params: { H0: { metrics: 1, unit_values: 7 } }, report: false };
  const client = await temporalClient();
  const run = async () => {
    const id = uniqueId('units');
    const h = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
    return { id, result: await h.result() as SweepProgress };
  };
  const first = await run();
  assert.equal(first.result.totals.ok, 4);
  const rows = await query<{ n: number; cells: number; units: number }>(
    `select count(*)::int as n, count(distinct cell_key)::int as cells, count(distinct unit_id)::int as units
       from unit_value_rows where sweep_id = $1 and metric = 'noop_unit_value'`, [first.id]);
  assert.deepEqual(rows[0], { n: 4 * 7, cells: 4, units: 7 });
  // noop's unit values depend on the seed only, so variants a and b pair exactly on (seed, unit_id).
  const pairs = await query<{ n: number; maxdiff: number }>(
    `select count(*)::int as n, max(abs(a.value - b.value)) as maxdiff
       from unit_value_rows a join unit_value_rows b on a.seed = b.seed and a.unit_id = b.unit_id
      where a.sweep_id = $1 and b.sweep_id = $1 and a.variant = 'a' and b.variant = 'b'`, [first.id]);
  assert.deepEqual(pairs[0], { n: 14, maxdiff: 0 });
  // A forced re-run replaces the rows instead of adding to them.
  const h = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: uniqueId('units-force'), args: [{ ...spec, force: true }] });
  assert.equal(((await h.result()) as SweepProgress).totals.ok, 4);
  const [stored] = await query<{ n: number }>(
    `select count(*)::int as n from unit_values where cell_key in (select cell_key from sweep_cells where sweep_id = $1)`, [first.id]);
  assert.equal(stored.n, 4);
  await client.connection.close();
});
