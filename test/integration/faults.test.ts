// Faults against the real services: an invalid spec, a kernel's bad-config exit, crashes and
// kill -9 of a kernel, a worker killed mid-sweep, cancellation, and a queue nobody polls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { closeTestDb, ensureStack, killGroup, query, spawnWorkerProcess, startInProcessWorker, temporalClient, uniqueId, waitUntil } from '../support/stack.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

before(async () => { await ensureStack(); });
// Seeds unique to this run: completed cells are shared across sweeps by cell_key.
const s0 = Date.now() % 1_000_000_000;
after(async () => { await closeTestDb(); });

// Kernels of this test's home only: other checkouts on the machine run noop kernels too.
const OUR_KERNELS = `binllm-noop run --config ${path.join(process.env.BINLLM_HOME!, 'runs')}`;
const noopPids = (marker: string) => {
  try { return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number); } catch { return []; }
};

async function start(spec: unknown, id = uniqueId('fault')) {
  const client = await temporalClient();
  const handle = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
  return { client, handle, id };
}

test('faults with an in-process worker', async (t) => {
  const worker = await startInProcessWorker({ concurrency: 2 });
  t.after(() => worker.stop());

  await t.test('an invalid spec fails the workflow at once, non-retryable, listing each problem with its JSON path', async () => {
    const { client, handle } = await start({ hypotheses: ['H1', 'H7'], seeds: [], settings: { H2: { pplRatio: 0.9 } }, variants: { H1: ['rhp', 'bogus'] } });
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    const cause = err.cause as ApplicationFailure;
    assert.equal(cause.type, 'InvalidSweepSpec');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /\$\.hypotheses\[1\]/);
    assert.match(cause.message, /\$\.seeds: the seed list is empty/);
    const hist = await handle.fetchHistory();
    assert.ok((hist.events?.length ?? 0) < 12, 'failed at once, without scheduling work');
    await client.connection.close();
  });

  await t.test('kernel exit 2 is a non-retryable failure carrying the kernel message; the other cells still run', async () => {
    const spec = { name: 'exit2', hypotheses: ['H0'], seeds: [s0], variants: { H0: ['a', 'b'] }, params: { H0: { metrics: 2 } }, report: false };
    const { client, handle, id } = await start({ ...spec, params: { H0: { metrics: 2, exit_code: 2 } }, variants: { H0: ['a'] }, seeds: [s0 + 7, s0 + 8] });
    const res = await handle.result() as SweepProgress;
    assert.equal(res.totals.failed, 2);
    const rows = await query<{ status: string; reason: string; attempts: number }>(
      'select s.status, s.reason, r.attempts from sweep_cells s join runs r on r.cell_key = s.cell_key where s.sweep_id = $1', [id]);
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.status, 'failed');
      assert.equal(r.attempts, 1, 'exit 2 must not be retried');
      assert.match(r.reason, /exit_code=2 requested/);
    }
    await client.connection.close();
  });

  await t.test('a crashing kernel is retried and the cell completes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'binllm-crash-'));
    const flag = path.join(dir, 'crashed-once');
    const { client, handle, id } = await start({ name: 'crash', hypotheses: ['H0'], seeds: [s0 + 31], params: { H0: { metrics: 2, crash_once_file: flag } }, report: false });
    const res = await handle.result() as SweepProgress;
    assert.equal(res.totals.ok, 1);
    assert.ok(existsSync(flag));
    const [r] = await query<{ attempts: number; status: string }>('select r.attempts, r.status from runs r join sweep_cells s on s.cell_key = r.cell_key where s.sweep_id = $1', [id]);
    assert.deepEqual(r, { attempts: 2, status: 'ok' });
    await client.connection.close();
  });

  await t.test('kill -9 of a running kernel is retried', async () => {
    const { client, handle, id } = await start({ name: 'kill9', hypotheses: ['H0'], seeds: [s0 + 41], params: { H0: { metrics: 1, sleep_ms: 1500 } }, report: false });
    const pid = await waitUntil('the kernel process', async () => noopPids(OUR_KERNELS)[0], 30_000);
    process.kill(pid, 'SIGKILL');
    const res = await handle.result() as SweepProgress;
    assert.equal(res.totals.ok, 1);
    const [r] = await query<{ attempts: number; status: string }>('select r.attempts, r.status from runs r join sweep_cells s on s.cell_key = r.cell_key where s.sweep_id = $1', [id]);
    assert.deepEqual(r, { attempts: 2, status: 'ok' });
    await client.connection.close();
  });

  await t.test('cancelling a sweep kills its kernels (no orphans) and marks it cancelled', async () => {
    const { client, handle, id } = await start({ name: 'cancel', hypotheses: ['H0'], seeds: [s0 + 51, s0 + 52], params: { H0: { metrics: 1, sleep_ms: 120000 } }, report: false,
      timeouts: { heartbeatSeconds: 5 } }); // cancellation reaches a kernel with a heartbeat response
    await waitUntil('two running kernels', async () => noopPids(OUR_KERNELS).length >= 2, 30_000);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    await waitUntil('kernels to exit', async () => noopPids(OUR_KERNELS).length === 0, 45_000);
    const [s] = await query<{ status: string }>('select status from sweeps where id = $1', [id]);
    assert.equal(s.status, 'cancelled');
    const cells = await query<{ status: string }>('select status from sweep_cells where sweep_id = $1', [id]);
    assert.ok(cells.every((c) => c.status === 'cancelled'), JSON.stringify(cells));
    await client.connection.close();
  });

  await t.test('a queue with no worker is given up when the spec asks for it (giveUpNoWorkerSeconds)', async () => {
    const { client, handle, id } = await start({
      name: 'noworker', hypotheses: ['H0'], seeds: [s0 + 61, s0 + 62, s0 + 63], gpus: ['gb200'], params: { H0: { metrics: 1 } }, report: false,
      timeouts: { noWorkerSeconds: 3, giveUpNoWorkerSeconds: 4 },
    });
    const res = await handle.result() as SweepProgress;
    assert.equal(res.hypotheses.H0.counts.noWorker, 3);
    assert.match(res.hypotheses.H0.noWorkerQueues['binllm-gb200'], /no worker polls binllm-gb200 since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await client.connection.close();
    const rows = await query<{ status: string; reason: string }>('select status, reason from sweep_cells where sweep_id = $1', [id]);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.status === 'no_worker' && /no worker polls binllm-gb200 since .*gave up after 4 s/.test(r.reason)), JSON.stringify(rows));
  });
});

test('a worker killed mid-sweep and restarted: the sweep finishes with every cell exactly once', async () => {
  let w1 = await spawnWorkerProcess('worker-kill-1', ['--gpu', 'cpu', '--concurrency', '2']);
  const seeds = Array.from({ length: 10 }, (_, i) => s0 + 700 + i);
  const { client, handle, id } = await start({
    name: 'workerkill', hypotheses: ['H0'], seeds, params: { H0: { metrics: 3, sleep_ms: 800 } }, report: false,
    timeouts: { heartbeatSeconds: 4 },
  });
  await waitUntil('some cells done', async () => {
    const [r] = await query<{ n: number }>("select count(*)::int as n from sweep_cells where sweep_id = $1 and status = 'ok'", [id]);
    return r.n >= 3;
  }, 60_000);
  killGroup(w1); // the worker and its kernels die together, as on a host crash
  await sleep(500);
  const w2 = await spawnWorkerProcess('worker-kill-2', ['--gpu', 'cpu', '--concurrency', '2']);
  try {
    const res = await handle.result() as SweepProgress;
    assert.equal(res.totals.ok + res.totals.reused, 10);
    const [c] = await query<{ cells: number; keys: number; metrics: number }>(
      `select count(*)::int as cells, count(distinct s.cell_key)::int as keys,
              (select count(*)::int from metrics m where m.cell_key in (select cell_key from sweep_cells where sweep_id = $1)) as metrics
       from sweep_cells s where s.sweep_id = $1 and s.status in ('ok', 'reused')`, [id]);
    // 'reused': a cell committed just before the kill, whose retry found it complete — still once.
    assert.deepEqual(c, { cells: 10, keys: 10, metrics: 40 }); // 3 noop values + elapsed_s per cell
  } finally {
    killGroup(w2, 'SIGTERM');
    w1 = w2;
    await client.connection.close();
  }
});
