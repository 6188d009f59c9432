// Test support for workers of GPU queues on a machine without a GPU, and for service outages.
// A "GPU" worker runs in its own process and its own BINLLM_HOME, reaching the test stack through
// DATABASE_URL and TEMPORAL_ADDRESS as a worker on another host would; its kernel registry points
// `noop` at a wrapper that runs the real noop kernel on the CPU (device cuda:N → cpu).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { repoRoot, statePaths } from '../../db/paths.ts';
import { killGroup, query, spawnWorkerProcess, temporalClient, uniqueId, waitUntil } from './stack.ts';

export async function spawnGpuWorker(name: string, gpu: string, args: string[] = []): Promise<{ child: ChildProcess; home: string; log: string }> {
  const { resolveDatabaseUrl } = await import('../../db/url.ts');
  const { temporalTarget } = await import('../../bin/stack/temporal-connection.ts');
  const { tsxImportArg, workerNodeFlags } = await import('../../bin/stack/processes.ts');
  const home = mkdtempSync(path.join(os.tmpdir(), `binllm-${name}-`));
  const real = path.join(process.env.BINLLM_KERNEL_BUILD!, 'bin', 'binllm-noop');
  const wrapper = path.join(home, 'noop-on-cpu.sh');
  writeFileSync(wrapper, [
    '#!/bin/sh',
    '# the noop kernel on the CPU for a GPU queue (tests on machines without a GPU)',
    `if [ "$1" = run ]; then sed 's/"cuda:[0-9]*"/"cpu"/' "$3" > "$3.cpu.json"; exec '${real}' run --config "$3.cpu.json"; fi`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n'));
  chmodSync(wrapper, 0o755);
  writeFileSync(path.join(home, 'kernels.json'), JSON.stringify({ noop: wrapper }));
  mkdirSync(path.join(home, 'logs'), { recursive: true });
  const log = path.join(home, 'logs', `${name}.log`);
  const fd = openSync(log, 'w');
  const env = { ...process.env, BINLLM_HOME: home, DATABASE_URL: resolveDatabaseUrl(), TEMPORAL_ADDRESS: temporalTarget().address };
  const child = spawn(process.execPath, [...workerNodeFlags(), '--import', tsxImportArg(), path.join(repoRoot, 'bin', 'cli.ts'),
    'worker', '--gpu', gpu, '--no-control', ...args], { detached: true, stdio: ['ignore', fd, fd], env });
  await waitForLog(child, log, 'binllm worker: polling');
  return { child, home, log };
}

export async function waitForLog(child: ChildProcess, log: string, text: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!readFileSync(log, 'utf8').includes(text)) {
    if (child.exitCode !== null) throw new Error(`process exited: ${readFileSync(log, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`"${text}" not in ${log} within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** kill -9 of a detached service and everything it started (its process group). */
export function killServiceGroup(pid: number): void {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Kernel launches of a cell on a worker host, from its run folder (activities/run-kernel.ts). */
export function kernelLaunches(home: string, cellKey: string): number {
  try {
    return readFileSync(path.join(home, 'runs', cellKey, 'launches.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  } catch { return 0; }
}

/**
 * A 40-cell H0 sweep (sleep_ms 2000) on a worker process; `kill` takes a service down once a few
 * cells are committed, `restart` brings it back 20 s later. Asserts that every cell completed
 * once, none failed, runs agree with sweep_cells, and each kernel was launched exactly once.
 * Returns the waits the progress query showed during the outage.
 */
export async function outageSweep(name: string, o: { kill: () => Promise<void>; restart: () => Promise<void> }): Promise<{ waits: string[] }> {
  const worker = await spawnWorkerProcess(`outage-${name}`, ['--gpu', 'cpu', '--concurrency', '4']);
  try {
    const s0 = Date.now() % 1_000_000_000;
    const id = uniqueId(name);
    let client = await temporalClient();
    await client.workflow.start('SweepWorkflow', {
      taskQueue: 'binllm', workflowId: id,
      args: [{
        name, hypotheses: ['H0'], seeds: Array.from({ length: 40 }, (_, i) => s0 + i), params: { H0: { metrics: 2, sleep_ms: 2000 } },
        report: false, timeouts: { heartbeatSeconds: 5, noWorkerSeconds: 20 },
      }],
    });
    await waitUntil('a few cells committed', async () => {
      const [r] = await query<{ n: number }>("select count(*)::int as n from sweep_cells where sweep_id = $1 and status = 'ok'", [id]);
      return r.n >= 4 && r;
    }, 120_000);
    await sleep(1500); // kernels in flight: some finish while the service is away
    await client.connection.close();
    await o.kill();
    const waits: string[] = [];
    const deadline = Date.now() + 20_000;
    client = await temporalClient().catch(() => client);
    while (Date.now() < deadline) {
      const p = await client.workflow.getHandle(id).query<{ hypotheses: Record<string, { queues: Record<string, { waits: string[] }> }> }>('progress').catch(() => undefined);
      waits.push(...(p?.hypotheses.H0?.queues['binllm-cpu']?.waits ?? []));
      await sleep(1000);
    }
    await client.connection.close().catch(() => undefined);
    await o.restart();
    client = await temporalClient();
    const res = await client.workflow.getHandle(id).result() as { totals: Record<string, number> };
    assert.equal(res.totals.ok + res.totals.reused, 40, JSON.stringify(res.totals));
    assert.equal(res.totals.failed, 0);
    const rows = await query<{ cell_key: string; status: string; run_status: string; attempts: number; metrics: number }>(
      `select s.cell_key, s.status, r.status as run_status, r.attempts,
              (select count(*)::int from metrics m where m.cell_key = s.cell_key) as metrics
       from sweep_cells s join runs r on r.cell_key = s.cell_key where s.sweep_id = $1`, [id]);
    assert.equal(rows.length, 40);
    assert.equal(new Set(rows.map((r) => r.cell_key)).size, 40);
    for (const r of rows) {
      assert.equal(r.run_status, 'ok', JSON.stringify(r));
      assert.equal(r.metrics, 3, 'each cell committed once (2 noop values + elapsed_s)');
      assert.equal(r.attempts, 1, `${r.cell_key}: the outage spent none of the kernel's attempts`);
    }
    const launches = rows.map((r) => kernelLaunches(statePaths().home, r.cell_key));
    assert.deepEqual(launches, rows.map(() => 1), 'every kernel ran exactly once');
    await client.connection.close();
    return { waits: [...new Set(waits)] };
  } finally {
    killGroup(worker, 'SIGTERM');
  }
}
