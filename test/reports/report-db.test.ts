// Report numbers against direct SQL on a real Postgres (the test stack's embedded server, or
// DATABASE_URL): a small sweep seeded by this test (and deleted afterwards) — a cell count, a
// mean ± sd and a p-value triple checked against queries written independently of reports/sql.ts,
// plus the renderSweepReport activity writing both files and both `reports` rows. A real sweep run
// through Temporal and the kernels is checked the same way in test/integration/report-e2e.test.ts.
import { before, test } from 'node:test';
import { ensureStack } from '../support/stack.ts';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { closeDb, getPool } from '../../db/client.ts';
import { repoRoot } from '../../db/paths.ts';
import { renderSweepReport } from '../../activities/report.ts';
import { loadReportData } from '../../reports/load.ts';
import { checkReportAgainstSql } from './db-checks.ts';
import { renderHtml } from '../../reports/render-html.ts';
import { renderMarkdown } from '../../reports/render-markdown.ts';

before(ensureStack);

test('a seeded sweep: loader, renderer and renderSweepReport against Postgres', { timeout: 60_000 }, async (t) => {
  const pool = getPool();
  const sweepId = `report-selftest-${process.pid}-${Date.now()}`;
  const key = (i: number) => `${sweepId}-cell-${i}`;
  const seeds = [1, 2, 3];
  const cells = ['bin-kv', 'int4'].flatMap((variant) => seeds.map((seed) => ({ variant, seed })));
  const ppl = (variant: string, seed: number, ctx: number) => (variant === 'int4' ? 12 : 12.3) + seed * 0.1 + ctx / 1000;
  try {
    await pool.query(
      `INSERT INTO sweeps (id, name, spec, status, workflow_id, git_commit, created_at, finished_at)
       VALUES ($1, 'report self-test', $2, 'completed', $3, 'deadbeef', now() - interval '5 minutes', now())`,
      [sweepId, JSON.stringify({ name: 'report self-test', hypotheses: ['H2'], seeds, gpus: ['cpu'] }), `wf-${sweepId}`]);
    for (const [i, c] of cells.entries()) {
      const failed = c.variant === 'int4' && c.seed === 3;
      const params = { dataset: 'synthetic', contexts: [32, 64], kv: c.variant === 'int4' ? 'int4' : 'bin' };
      await pool.query(
        `INSERT INTO runs (cell_key, kernel, kernel_version, build_hash, variant, params, seed, gpu, status, attempts, device, build, worker, started_at, finished_at, kernel_elapsed_s, error)
         VALUES ($1, 'lm', '0.0.0-test', 'testhash', $2, $3, $4, 'cpu', $5, 1, '{"name":"Test CPU"}', '{"flags":"-O2"}', 'test-worker', now() - interval '4 minutes', now(), 1.5, $6)`,
        [key(i), c.variant, JSON.stringify(params), c.seed, failed ? 'failed' : 'ok', failed ? 'lm crashed (test)' : null]);
      await pool.query(
        `INSERT INTO sweep_cells (sweep_id, hypothesis, cell_index, kernel, variant, seed, gpu, queue, params, cell_key, status, reason)
         VALUES ($1, 'H2', $2, 'lm', $3, $4, 'cpu', 'binllm-cpu', $5, $6, $7, $8)`,
        [sweepId, i, c.variant, c.seed, JSON.stringify(params), key(i), failed ? 'failed' : 'ok', failed ? 'lm crashed (test)' : null]);
      if (!failed) {
        for (const ctx of [32, 64]) {
          await pool.query(`INSERT INTO metrics (cell_key, name, value, tags) VALUES ($1, 'ppl', $2, $3)`,
            [key(i), ppl(c.variant, c.seed, ctx), JSON.stringify({ ctx, kv: params.kv })]);
        }
      }
    }
    await pool.query(
      `INSERT INTO stat_tests (sweep_id, hypothesis, comparison, family, metric, grid, test, alternative, margin, n, mean_diff, sd_diff, ci_low, ci_high, statistic, df, p_value, p_holm, p_bh, reject, details)
       VALUES ($1, 'H2', 'ppl-bin-vs-int4', 'H2-ppl', 'ppl', '{"ctx":32}', 'non-inferiority', 'less', 0.04879, 2, 0.0246, 0.0001, NULL, 0.0252, -120.1, 1, 0.00265, 0.0053, 0.0053, true, '{"scale":"log","ratio":1.0249}'),
              ($1, 'H2', 'ppl-bin-vs-int4', 'H2-ppl', 'ppl', '{"ctx":32}', 'paired-t-two-sided', 'two-sided', 0.04879, 2, 0.0246, 0.0001, 0.0233, 0.0259, 246.3, 1, 0.00258, 0.00516, 0.00516, true, '{"scale":"log"}')`,
      [sweepId]);
    await pool.query(
      `INSERT INTO verdicts (sweep_id, hypothesis, verdict, reason, key_numbers) VALUES ($1, 'H2', 'inconclusive', 'inconclusive (too few seeds): 2 paired seeds at every L', '{"worstRatio":1.0249}')`,
      [sweepId]);

    const data = await loadReportData(sweepId, pool);
    const md = renderMarkdown(data);
    const html = renderHtml(data);
    await mkdir(path.join(repoRoot, 'test-output'), { recursive: true });
    await writeFile(path.join(repoRoot, 'test-output', 'report-db-seeded.md'), md, 'utf8');
    const checked = await checkReportAgainstSql(pool, sweepId, data, md);
    t.diagnostic(checked.join('; '));
    const h2 = data.hypotheses.find((h) => h.id === 'H2');
    assert.ok(h2, 'H2 section');
    assert.equal(h2.holes.total, 1, 'the failed cell is a hole');
    assert.equal(h2.holes.expectedCells, 6);
    assert.ok(html.includes('lm crashed (test)'), 'failure reason in the report');
    const int4At32 = h2.descriptives.rows.find((r) => r.variant === 'int4' && r.point.ctx === 32);
    assert.ok(int4At32, 'int4 at ctx 32');
    assert.equal(int4At32.n, 2, 'only the two ok seeds');
    assert.ok(Math.abs((int4At32.mean as number) - (ppl('int4', 1, 32) + ppl('int4', 2, 32)) / 2) < 1e-12);
    assert.deepEqual(data.provenance.runs.rows.map((r) => [r.kernel, r.kernelVersion, r.buildHash, r.deviceName, r.runs, r.runsOk]), [['lm', '0.0.0-test', 'testhash', 'Test CPU', 6, 5]]);
    // every SQL shown in the report runs as printed
    for (const q of [data.summary.sql, data.summary.verdictsSql, h2.descriptives.sql, h2.tests.sql, h2.holes.sql, h2.unmatched.sql, data.provenance.runs.sql, data.provenance.holesSql, data.sweep.sql]) {
      await pool.query(q);
    }

    const outDir = path.join(repoRoot, 'test-output', 'report-db');
    const r = await renderSweepReport({ sweepId, outDir });
    assert.equal(r.htmlPath, path.join(outDir, 'report.html'));
    assert.ok((await readFile(r.markdownPath, 'utf8')).includes('report self-test'));
    const { rows: stored } = await pool.query('SELECT format, path, length(content)::int AS len FROM reports WHERE sweep_id = $1 ORDER BY format', [sweepId]);
    assert.deepEqual(stored.map((s) => s.format), ['html', 'md']);
    assert.equal(stored[0].path, r.htmlPath);
    await renderSweepReport({ sweepId, outDir }); // re-rendering replaces, never duplicates
    const { rows: [{ n }] } = await pool.query('SELECT count(*)::int AS n FROM reports WHERE sweep_id = $1', [sweepId]);
    assert.equal(n, 2);
  } finally {
    await pool.query('DELETE FROM sweeps WHERE id = $1', [sweepId]).catch(() => undefined);
    await pool.query('DELETE FROM metrics WHERE cell_key LIKE $1', [`${sweepId}-cell-%`]).catch(() => undefined);
    await pool.query('DELETE FROM runs WHERE cell_key LIKE $1', [`${sweepId}-cell-%`]).catch(() => undefined);
    await closeDb();
  }
});
