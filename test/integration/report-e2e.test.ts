// A real sweep through Temporal and the H1 kernel ends with a report whose numbers trace to
// Postgres: the sweep renders it as its last step, and a few of its numbers are checked against
// direct SQL (test/reports/db-checks.ts, queries written independently of the report's own SQL).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import { getPool } from '../../db/client.ts';
import { loadReportData } from '../../reports/load.ts';
import { checkReportAgainstSql } from '../reports/db-checks.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

test('a real H1 sweep renders a report whose numbers match direct SQL', { timeout: 300_000 }, async () => {
  const s0 = Date.now() % 1_000_000;
  const spec = {
    name: 'report-e2e', hypotheses: ['H1'], seeds: [s0, s0 + 1, s0 + 2], variants: { H1: ['rhp', 'sign'] },
    grid: { H1: { bits: [64, 256] } }, datasets: { H1: { dataset: 'synthetic', n_docs: 1500, n_queries: 60, dim: 64 } },
  };
  const client = await temporalClient();
  const id = uniqueId('report-e2e');
  const result = await (await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] })).result() as SweepProgress;
  await client.connection.close();
  assert.equal(result.phase, 'completed');
  assert.equal(result.totals.ok, 9); // rhp × 2 code lengths + sign, 3 seeds
  assert.ok(result.report, 'the sweep rendered its report');
  assert.ok(result.verdicts?.some((v) => v.hypothesis === 'H1'));

  const md = await readFile(result.report!.markdownPath, 'utf8');
  // rendered before the sweep is marked finished, yet it reports the sweep as completed
  assert.doesNotMatch(md, /Sweep not completed/);
  assert.match(md, /status completed/);
  // the verdict names only the binarizers this sweep ran (rhp, sign), never itq
  assert.doesNotMatch(md, /itq: no data/);
  const stored = await query<{ format: string; n: number }>('select format, length(content)::int as n from reports where sweep_id = $1 order by format', [id]);
  assert.deepEqual(stored.map((r) => r.format), ['html', 'md']);
  const [verdict] = await query<{ verdict: string }>("select verdict from verdicts where sweep_id = $1 and hypothesis = 'H1'", [id]);
  assert.ok(md.includes(verdict.verdict.toUpperCase()) || md.includes(verdict.verdict), 'the stored verdict is in the report');

  const data = await loadReportData(id, getPool());
  const checked = await checkReportAgainstSql(getPool(), id, data, md);
  assert.ok(checked.length >= 3, checked.join('; '));
});
