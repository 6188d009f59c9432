// "No worker" against the real services: it is decided from the queue's pollers and its cells'
// heartbeats, never from how long a cell waited. A busy GPU worker keeps its queue's cells
// waiting (issue 10 item 1's repro), a queue nobody polls is reported and its cells start once a
// worker appears, and a worker that dies mid-sweep is reported and replaced.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { closeTestDb, ensureStack, killGroup, query, startInProcessWorker, temporalClient, uniqueId, waitUntil } from '../support/stack.ts';
import { spawnGpuWorker } from '../support/workers.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

const s0 = Date.now() % 1_000_000_000; // seeds unique to this run: completed cells are shared by cell_key
const children: ChildProcess[] = [];
let stopControl: (() => Promise<void>) | undefined;

before(async () => {
  await ensureStack();
  stopControl = (await startInProcessWorker({ concurrency: 1 })).stop; // control queue (+ binllm-cpu)
});
after(async () => {
  for (const c of children) killGroup(c);
  await stopControl?.();
  await closeTestDb();
});

async function start(spec: Record<string, unknown>) {
  const client = await temporalClient();
  const id = uniqueId(String(spec.name));
  const handle = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [{ report: false, hypotheses: ['H0'], ...spec }] });
  return { client, handle, id };
}

const progressOf = (h: WorkflowHandle) => h.query<SweepProgress>('progress').catch(() => undefined);

async function cellsOf(id: string) {
  return query<{ status: string; cell_key: string; attempts: number; run_status: string }>(
    `select s.status, s.cell_key, r.attempts, r.status as run_status from sweep_cells s left join runs r on r.cell_key = s.cell_key
     where s.sweep_id = $1 order by s.cell_index`, [id]);
}

test('a busy GPU worker is not a missing one: 3 cells longer than noWorkerSeconds on one slot all complete', async () => {
  const w = await spawnGpuWorker('h100-busy', 'h100');
  children.push(w.child);
  // before this change: scheduleToStartSeconds 15 and sleep 40 s gave 1 ok, 2 no_worker
  const { client, handle, id } = await start({
    name: 'busy', gpus: ['h100'], seeds: [s0 + 1, s0 + 2, s0 + 3], params: { H0: { metrics: 1, sleep_ms: 12_000 } },
    timeouts: { noWorkerSeconds: 6, giveUpNoWorkerSeconds: 9 },
  });
  let maxInFlight = 0;
  const seenNoWorker: string[] = [];
  const done = handle.result() as Promise<SweepProgress>;
  let finished = false;
  done.finally(() => { finished = true; }).catch(() => undefined);
  while (!finished) {
    const p = await progressOf(handle);
    const h0 = p?.hypotheses.H0;
    if (h0) {
      maxInFlight = Math.max(maxInFlight, h0.counts.running);
      seenNoWorker.push(...Object.values(h0.noWorkerQueues));
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const res = await done;
  assert.equal(res.totals.ok, 3, JSON.stringify(res.totals));
  assert.equal(res.totals.noWorker, 0);
  assert.deepEqual(seenNoWorker, [], 'a busy worker was never reported missing');
  assert.ok(maxInFlight <= 1, `in flight ${maxInFlight}: at most the one slot that polls`);
  const rows = await cellsOf(id);
  assert.deepEqual(rows.map((r) => [r.status, r.run_status, r.attempts]), [['ok', 'ok', 1], ['ok', 'ok', 1], ['ok', 'ok', 1]]);
  killGroup(w.child, 'SIGTERM');
  await client.connection.close();
});

test('a queue nobody polls is reported within a minute; its cells complete once a worker starts', async () => {
  const { client, handle, id } = await start({
    name: 'nopoller', gpus: ['a100'], seeds: [s0 + 11, s0 + 12], params: { H0: { metrics: 1 } }, timeouts: { noWorkerSeconds: 5 },
  });
  const t0 = Date.now();
  const message = await waitUntil('the no-worker report', async () => (await progressOf(handle))?.hypotheses.H0?.noWorkerQueues['binllm-a100'], 60_000);
  assert.match(message, /^no worker polls binllm-a100 since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  const p = await progressOf(handle);
  assert.equal(p!.hypotheses.H0.queues['binllm-a100'].workers.length, 0);
  assert.ok(p!.hypotheses.H0.counts.running <= 1, 'no pile of cells in a queue nobody serves');
  console.log(`# reported after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const w = await spawnGpuWorker('a100-late', 'a100');
  children.push(w.child);
  const res = await handle.result() as SweepProgress;
  assert.equal(res.totals.ok, 2);
  assert.deepEqual(res.hypotheses.H0.noWorkerQueues, {}, 'the report clears once a worker polls');
  assert.deepEqual((await cellsOf(id)).map((r) => r.run_status), ['ok', 'ok']);
  killGroup(w.child, 'SIGTERM');
  await client.connection.close();
});

test('a worker that stops polling mid-sweep is reported; its cells finish on a second worker, each once', async () => {
  const w1 = await spawnGpuWorker('h200-first', 'h200');
  children.push(w1.child);
  const seeds = [0, 1, 2, 3].map((i) => s0 + 21 + i);
  const { client, handle, id } = await start({
    name: 'workergone', gpus: ['h200'], seeds, params: { H0: { metrics: 2, sleep_ms: 3000 } },
    timeouts: { noWorkerSeconds: 6, heartbeatSeconds: 4 },
  });
  await waitUntil('a cell done on the first worker', async () => (await progressOf(handle))?.hypotheses.H0?.counts.ok, 120_000);
  killGroup(w1.child); // the host dies with its kernel
  const message = await waitUntil('the no-worker report', async () => (await progressOf(handle))?.hypotheses.H0?.noWorkerQueues['binllm-h200'], 60_000);
  assert.match(message, /no worker polls binllm-h200 since/);
  const w2 = await spawnGpuWorker('h200-second', 'h200');
  children.push(w2.child);
  const res = await handle.result() as SweepProgress;
  assert.equal(res.totals.ok + res.totals.reused, 4);
  assert.equal(res.totals.failed + res.totals.noWorker, 0);
  const rows = await cellsOf(id);
  assert.equal(new Set(rows.map((r) => r.cell_key)).size, 4);
  assert.ok(rows.every((r) => r.run_status === 'ok'), JSON.stringify(rows));
  const [m] = await query<{ n: number }>('select count(*)::int as n from metrics where cell_key = any($1)', [rows.map((r) => r.cell_key)]);
  assert.equal(m.n, 4 * 3, 'each cell committed once (2 noop values + elapsed_s)');
  killGroup(w2.child, 'SIGTERM');
  await client.connection.close();
});
