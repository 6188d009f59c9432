// A changed input file is never answered from the cache (issue 11.1): the cell key covers the
// content of every file input, so after one byte of corpus.npy changes the H1 cell runs again
// (real Temporal, real Postgres, the real hamming kernel on .npy files this test writes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import { encodeNpyF32 } from '../../activities/npy-header.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

/** A seeded random float32 matrix (xorshift), so the files differ between test runs only by the seed. */
function matrix(rows: number, cols: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = (x / 4294967296) * 2 - 1;
  }
  return out;
}

async function runSweep(spec: Record<string, unknown>): Promise<{ id: string; result: SweepProgress }> {
  const client = await temporalClient();
  const id = uniqueId('stale');
  const h = await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
  const result = await h.result() as SweepProgress;
  await client.connection.close();
  return { id, result };
}

test('changing one byte of a corpus file makes its cell run again instead of being reused', async () => {
  const dir = path.join(process.env.BINLLM_HOME!, 'inputs', uniqueId('npy'));
  mkdirSync(dir, { recursive: true });
  const corpus = path.join(dir, 'corpus.npy');
  const queries = path.join(dir, 'queries.npy');
  const seed = Date.now() % 100000;
  writeFileSync(corpus, encodeNpyF32(300, 32, matrix(300, 32, seed)));
  writeFileSync(queries, encodeNpyF32(20, 32, matrix(20, 32, seed + 1)));
  const spec = {
    name: 'stale', hypotheses: ['H1'], seeds: [1], variants: { H1: ['sign'] }, report: false,
    datasets: { H1: { dataset: 'npy', corpus_npy: corpus, queries_npy: queries, ks: [10] } },
  };
  const cellOf = async (id: string) => (await query<{ cell_key: string; status: string; inputs: Record<string, { sha256: string; size: number }> }>(
    'select sc.cell_key, sc.status, r.inputs from sweep_cells sc join runs r on r.cell_key = sc.cell_key where sc.sweep_id = $1', [id]))[0];

  const first = await runSweep(spec);
  assert.equal(first.result.totals.ok, 1, JSON.stringify(first.result.totals));
  const c1 = await cellOf(first.id);
  assert.equal(c1.inputs.corpus_npy.size, readFileSync(corpus).length);
  assert.match(c1.inputs.corpus_npy.sha256, /^[0-9a-f]{64}$/);

  const second = await runSweep(spec);
  assert.equal(second.result.totals.reused, 1, 'unchanged files: the cell is reused');
  assert.equal((await cellOf(second.id)).cell_key, c1.cell_key);

  // One byte of the last float of the corpus changes; size and path stay the same.
  const bytes = readFileSync(corpus);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(corpus, bytes);
  const third = await runSweep(spec);
  assert.equal(third.result.totals.ok, 1, `changed corpus: the cell must run again, got ${JSON.stringify(third.result.totals)}`);
  assert.equal(third.result.totals.reused, 0);
  const c3 = await cellOf(third.id);
  assert.notEqual(c3.cell_key, c1.cell_key);
  assert.notEqual(c3.inputs.corpus_npy.sha256, c1.inputs.corpus_npy.sha256);
  assert.equal(c3.inputs.queries_npy.sha256, c1.inputs.queries_npy.sha256);
  const [m] = await query<{ n: number }>("select count(*)::int as n from metric_rows where sweep_id = $1 and metric = 'overlap_at_k'", [third.id]);
  assert.ok(m.n >= 1, 'the re-run stored its metrics');
});
