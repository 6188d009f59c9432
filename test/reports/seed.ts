// Seeds a small synthetic sweep (H1–H6, 3 seeds, cpu) straight into Postgres: sweeps, runs,
// sweep_cells and metrics as runCell would leave them, with one failed cell and one cell that no
// worker served. Used by the DB-backed report tests; `dropSeededSweep` removes every row again.
import type { HypothesisId } from '../../hypotheses/definition.ts';
import { expandHypothesisCells } from '../../hypotheses/cells.ts';
import { validateSweepSpec } from '../../hypotheses/sweep-spec.ts';
import type { Queryable } from '../../reports/load.ts';

export const SEEDED_SPEC = {
  name: 'report engine self-test',
  hypotheses: ['H1', 'H2', 'H3', 'H4', 'H5', 'H6'],
  seeds: [1, 2, 3],
  gpus: ['cpu'],
  grid: { H1: { bits: [64, 256, 1024] } },
  params: { H2: { contexts: [32, 64, 128] }, H5: { contexts: [1024, 4096, 16384, 65536] } },
};

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

type M = { name: string; value: number; tags: Record<string, string | number> };

export function metricsFor(h: HypothesisId, variant: string, params: Record<string, unknown>, seed: number, r: () => number): M[] {
  const noise = (s: number) => s * r();
  switch (h) {
    case 'H1': {
      const bits = typeof params.bits === 'number' ? params.bits : 768;
      const ov = (k: number) => Math.min(1, 1 - 0.8 * Math.exp(-bits / (variant === 'itq' ? 150 : 220)) - 0.002 * (k === 50 ? 1 : 0) + noise(0.004));
      const fl = 0.7 + noise(0.01);
      return [
        { name: 'overlap_at_k', value: ov(10), tags: { k: 10 } }, { name: 'overlap_at_k', value: ov(50), tags: { k: 50 } },
        { name: 'ndcg_at_10_float', value: fl, tags: {} }, { name: 'ndcg_at_10_binary', value: fl - 0.15 * Math.exp(-bits / 300) + noise(0.003), tags: {} },
        { name: 'bytes_per_vector', value: bits / 8, tags: {} },
      ];
    }
    case 'H2':
      return [32, 64, 128].map((ctx) => ({ name: 'ppl', value: (12 + seed * 0.3 + 100 / ctx) * (variant === 'bin-kv' ? 1.012 + noise(0.004) : 1), tags: { ctx } }));
    case 'H3':
      return [
        ...['sst2', 'mrpc', 'rte'].map((task) => ({ name: 'accuracy', value: 84 + seed * 0.5 + (variant === 'bin-blocks' ? -0.3 + noise(0.3) : 0), tags: { task } })),
        { name: 'bits_per_param', value: variant === 'bin-blocks' ? 1.6 : 4.2, tags: {} }, { name: 'peak_mem_bytes', value: variant === 'bin-blocks' ? 2.1e8 : 4.5e8, tags: {} },
      ];
    case 'H4':
      return [
        ...['sst2', 'mrpc', 'rte'].map((task) => ({ name: 'accuracy', value: 86 + seed * 0.4 - (variant === 'bin-embed' ? 3 + noise(0.5) : variant === 'bin-blocks' ? 1 + noise(0.5) : 0), tags: { task } })),
        { name: 'total_bits', value: variant === 'fp16' ? 3.2e8 : 6.4e7, tags: {} },
      ];
    case 'H5':
      return [1024, 4096, 16384, 65536].flatMap((ctx): M[] => {
        const j = (0.02 + ctx * 2e-6) * (variant === 'bin-kv' ? 1.1 - 0.1 * Math.log2(ctx / 1024) / 3 : 1) * (1 + noise(0.01));
        const tps = (3000 / (1 + ctx / 8192)) * (variant === 'bin-kv' ? 1 + 0.03 * Math.log2(ctx / 1024) / 3 : 1) * (1 + noise(0.005));
        return [{ name: 'joules_per_token', value: j, tags: { ctx } }, { name: 'tokens_per_s', value: tps, tags: { ctx } }];
      });
    default:
      return [];
  }
}

/** Inserts the sweep; returns the number of cells written. */
export async function seedSweep(db: Queryable, sweepId: string): Promise<number> {
  const v = validateSweepSpec(SEEDED_SPEC);
  if (!v.ok) throw new Error(v.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  const spec = v.spec;
  const r = rng(7);
  await db.query(
    `INSERT INTO sweeps (id, name, spec, status, workflow_id, git_commit, created_at, finished_at)
     VALUES ($1, $2, $3, 'completed', $4, 'c0ffee1', now() - interval '10 minutes', now())`,
    [sweepId, spec.name, JSON.stringify(spec), `wf-${sweepId}`]);
  let n = 0;
  for (const h of spec.hypotheses) {
    for (const cell of expandHypothesisCells(spec, h)) {
      const key = `${sweepId}-${h}-${cell.index}`;
      // holes: one failed H1 cell, one H5 cell no worker picked up
      const failed = h === 'H1' && cell.index === 4;
      const noWorker = h === 'H5' && cell.index === 1;
      if (!noWorker) {
        await db.query(
          `INSERT INTO runs (cell_key, kernel, kernel_version, build_hash, variant, params, seed, gpu, status, attempts, device, build, worker, started_at, finished_at, kernel_elapsed_s, error)
           VALUES ($1, $2, '0.3.0', 'selftest-build', $3, $4, $5, $6, $7, 1, '{"name":"Test CPU (AVX2)"}', '{"flags":"-O3"}', 'selftest-worker', now() - interval '9 minutes', now() - interval '1 minute', 2.5, $8)`,
          [key, cell.kernel, cell.variant, JSON.stringify(cell.params), cell.seed, cell.gpu, failed ? 'failed' : 'ok', failed ? 'hamming crashed: signal 11 (test)' : null]);
      }
      await db.query(
        `INSERT INTO sweep_cells (sweep_id, hypothesis, cell_index, kernel, variant, seed, gpu, queue, params, cell_key, status, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [sweepId, h, cell.index, cell.kernel, cell.variant, cell.seed, cell.gpu, cell.queue, JSON.stringify(cell.params), noWorker ? null : key,
          failed ? 'failed' : noWorker ? 'no_worker' : 'ok', failed ? 'hamming crashed: signal 11 (test)' : noWorker ? 'no worker polls binllm-cpu (test)' : null]);
      if (!failed && !noWorker) {
        const ms = metricsFor(h, cell.variant, cell.params, cell.seed, r);
        if (ms.length) {
          const values = ms.flatMap((m) => [key, m.name, m.value, JSON.stringify(m.tags)]);
          await db.query(`INSERT INTO metrics (cell_key, name, value, tags) VALUES ${ms.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(', ')}`, values);
        }
      }
      n += 1;
    }
  }
  return n;
}

export async function dropSeededSweep(db: Queryable, sweepId: string): Promise<void> {
  await db.query('DELETE FROM sweeps WHERE id = $1', [sweepId]);
  await db.query('DELETE FROM metrics WHERE cell_key LIKE $1', [`${sweepId}-%`]);
  await db.query('DELETE FROM runs WHERE cell_key LIKE $1', [`${sweepId}-%`]);
}
