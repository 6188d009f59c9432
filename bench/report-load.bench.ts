// Load + render of a 10,000-run sweep from Postgres: bulk-seeds a synthetic sweep (H1–H5, 100 seeds,
// 5 GPU generations ≈ 11,000 runs and their metrics), times loadReportData and both renderers,
// then deletes every seeded row. Needs DATABASE_URL. Run: node --import tsx bench/report-load.bench.ts
import { closeDb, getPool } from '../db/client.ts';
import { expandHypothesisCells } from '../hypotheses/cells.ts';
import { validateSweepSpec } from '../hypotheses/sweep-spec.ts';
import { loadReportData } from '../reports/load.ts';
import { renderHtml } from '../reports/render-html.ts';
import { renderMarkdown } from '../reports/render-markdown.ts';
import { dropSeededSweep, metricsFor, rng } from '../test/reports/seed.ts';

if (!process.env.DATABASE_URL) {
  console.log('skipped: set DATABASE_URL to benchmark loading a 10,000-run report from Postgres');
  process.exit(0);
}
const v = validateSweepSpec({
  name: 'report load bench', hypotheses: ['H1', 'H2', 'H3', 'H4', 'H5'], seeds: Array.from({ length: 100 }, (_, i) => i + 1),
  gpus: ['cpu', 'a100', 'h100', 'h200', 'b200'], grid: { H1: { bits: [64, 128, 256, 512, 1024, 2048] } },
  params: { H2: { contexts: [32, 64, 128] }, H5: { contexts: [1024, 4096, 16384, 65536] } },
});
if (!v.ok) throw new Error(JSON.stringify(v.issues));
const spec = v.spec;
const pool = getPool();
const sweepId = `report-selftest-bench-${process.pid}-${Date.now()}`;
const r = rng(11);
try {
  const t0 = performance.now();
  await pool.query(`INSERT INTO sweeps (id, name, spec, status, workflow_id, created_at, finished_at) VALUES ($1, $2, $3, 'completed', $4, now(), now())`,
    [sweepId, spec.name, JSON.stringify(spec), `wf-${sweepId}`]);
  const cells = spec.hypotheses.flatMap((h) => expandHypothesisCells(spec, h));
  const key = (c: (typeof cells)[number]) => `${sweepId}-${c.hypothesis}-${c.index}`;
  const col = <T>(f: (c: (typeof cells)[number]) => T) => cells.map(f);
  await pool.query(
    `INSERT INTO runs (cell_key, kernel, kernel_version, variant, params, seed, gpu, status, device, build_hash)
     SELECT k, kern, '0.3.0', var, p::jsonb, s, g, 'ok', '{"name":"bench device"}', 'bench' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[]) AS t(k, kern, var, p, s, g)`,
    [col(key), col((c) => c.kernel), col((c) => c.variant), col((c) => JSON.stringify(c.params)), col((c) => c.seed), col((c) => c.gpu)]);
  await pool.query(
    `INSERT INTO sweep_cells (sweep_id, hypothesis, cell_index, kernel, variant, seed, gpu, queue, params, cell_key, status)
     SELECT $1, h, i, kern, var, s, g, q, p::jsonb, k, 'ok' FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[]) AS t(h, i, kern, var, s, g, q, p, k)`,
    [sweepId, col((c) => c.hypothesis), col((c) => c.index), col((c) => c.kernel), col((c) => c.variant), col((c) => c.seed), col((c) => c.gpu), col((c) => c.queue), col((c) => JSON.stringify(c.params)), col(key)]);
  const mk: string[] = []; const mn: string[] = []; const mv: number[] = []; const mt: string[] = [];
  for (const c of cells) for (const m of metricsFor(c.hypothesis, c.variant, c.params, c.seed, r)) { mk.push(key(c)); mn.push(m.name); mv.push(m.value); mt.push(JSON.stringify(m.tags)); }
  await pool.query(`INSERT INTO metrics (cell_key, name, value, tags) SELECT k, n, v, t::jsonb FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[]) AS x(k, n, v, t)`, [mk, mn, mv, mt]);
  const t1 = performance.now();
  const data = await loadReportData(sweepId, pool);
  const t2 = performance.now();
  const md = renderMarkdown(data);
  const html = renderHtml(data);
  const t3 = performance.now();
  console.log(`seeded ${cells.length} runs, ${mk.length} metric rows in ${((t1 - t0) / 1000).toFixed(1)} s`);
  console.log(`loadReportData: ${(t2 - t1).toFixed(0)} ms; render md + html: ${(t3 - t2).toFixed(0)} ms (${(md.length / 1024).toFixed(0)} + ${(html.length / 1024).toFixed(0)} KiB)`);
  console.log(`load + render: ${(t3 - t1).toFixed(0)} ms (goal < 5000 ms) ${t3 - t1 < 5000 ? 'OK' : 'TOO SLOW'}`);
} finally {
  await dropSeededSweep(pool, sweepId);
  await closeDb();
}
