// Orchestration overhead with a kernel that does nothing (the noop kernel, hypothesis H0), on the
// real services in an isolated home (.binllm/bench). Targets from the platform-spine issue:
//   1,000 cells: median per-cell overhead (activity start → rows committed) ≤ 150 ms
//   10,000 cells: the sweep completes (continue-as-new) with the worker's RSS under 400 MB
// Run: node --import tsx bench/orchestration.bench.ts [--cells 1000] [--big 10000]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../db/paths.ts';

process.env.BINLLM_HOME ??= path.join(repoRoot, '.binllm', 'bench');
process.env.BINLLM_KERNEL_BUILD ??= path.join(repoRoot, '.binllm', 'build', 'kernels');
process.env.BINLLM_TEMPORAL_PORT ??= '7263';
process.env.BINLLM_PG_PORT ??= '5463';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const { ensureStack, spawnWorkerProcess, killGroup, query, closeTestDb, temporalClient } = await import('../test/support/stack.ts');
type SweepProgress = import('../workflows/progress.ts').SweepProgress;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function sweep(cells: number, label: string, workerPid: number) {
  const seed0 = Date.now() % 1_000_000_000;
  const seeds = Array.from({ length: cells / 2 }, (_, i) => seed0 + i);
  const spec = { name: label, hypotheses: ['H0'], seeds, variants: { H0: ['a', 'b'] }, params: { H0: { metrics: 2 } }, report: false, concurrency: { cpu: 4 } };
  const client = await temporalClient();
  const id = `bench-${label}-${seed0}`;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(workerPid)); }, 500);
  const t0 = performance.now();
  const handle = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
  const result = await handle.result() as SweepProgress;
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(workerPid));
  await client.connection.close();
  const [o] = await query<{ p50: number; p90: number; kernel_p50: number }>(
    `select percentile_cont(0.5) within group (order by r.activity_ms) as p50,
            percentile_cont(0.9) within group (order by r.activity_ms) as p90,
            percentile_cont(0.5) within group (order by r.kernel_elapsed_s * 1000) as kernel_p50
     from runs r join sweep_cells s on s.cell_key = r.cell_key where s.sweep_id = $1`, [id]);
  return { id, wall, result, peak, ...o };
}

await ensureStack();
const worker = await spawnWorkerProcess('bench-worker', ['--gpu', 'cpu', '--concurrency', '2']);
try {
  const n = arg('cells', 1000);
  if (n > 0) {
  const a = await sweep(n, 'overhead', worker.pid!);
  console.log(`${n} noop cells: ${a.wall.toFixed(1)} s wall (${(n / a.wall).toFixed(1)} cells/s), ` +
    `per-cell overhead activity start → rows committed: median ${a.p50.toFixed(1)} ms, p90 ${a.p90.toFixed(1)} ms ` +
    `(kernel itself: median ${a.kernel_p50.toFixed(2)} ms) — target median ≤ 150 ms: ${a.p50 <= 150 ? 'MET' : 'NOT MET'}` +
    ` (ratio ${(150 / a.p50).toFixed(2)}× under the target)`);
  }
  const big = arg('big', 10000);
  if (big > 0) {
    const b = await sweep(big, 'scale', worker.pid!);
    const runs = b.result.hypotheses.H0.runs;
    console.log(`${big} noop cells: ${b.wall.toFixed(1)} s wall, ${b.result.totals.ok + b.result.totals.reused}/${big} done, ` +
      `HypothesisWorkflow runs (continue-as-new): ${runs}, worker peak RSS ${b.peak.toFixed(0)} MB — target < 400 MB: ${b.peak < 400 ? 'MET' : 'NOT MET'}`);
  }
} finally {
  killGroup(worker, 'SIGTERM');
  await closeTestDb();
  const { down } = await import('../bin/commands/stack.ts');
  await down();
}
