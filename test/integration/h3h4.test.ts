// A real H3 + H4 (+ H6) sweep through Temporal, Postgres and binllm-nlu with 3 seeds: every cell
// stores the NLU metrics tagged with task and family, per-example values, the bit-budget and
// bits/memory checks hold, and the existing rules give verdicts (H6 ranks classification and
// reasoning from the family tags).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

const VERDICTS = ['supported', 'rejected', 'inconclusive'];

test('an H3+H4 sweep on binllm-nlu stores the NLU metrics and gets verdicts from the rules', { timeout: 900_000 }, async () => {
  const s0 = Date.now() % 1_000_000;
  const seeds = [s0, s0 + 1, s0 + 2];
  const tiny = {
    tasks: 'sentiment,arith', tokenizer: 'words', max_len: 16, d_model: 16, n_layers: 1, n_heads: 2, steps: 60, student_steps: 20,
    batch: 16, n_train: 240, n_dev: 60, group: 16, lora_rank: 2,
  };
  const spec = {
    name: 'h3h4', hypotheses: ['H3', 'H4', 'H6'], seeds, variants: { H3: ['bin-blocks', 'int4'], H4: ['bin-embed', 'bin-blocks', 'fp16'] },
    params: { H3: tiny, H4: tiny },
  };
  const client = await temporalClient();
  const id = uniqueId('h3h4');
  const result = await (await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] })).result() as SweepProgress;
  await client.connection.close();
  assert.equal(result.phase, 'completed');
  assert.equal(result.totals.ok, 15); // H3: 2 variants, H4: 3 variants, 3 seeds

  // every cell: the metrics of both tasks, tagged with the task's family
  const per = await query<{ hypothesis: string; variant: string; metric: string; task: string; family: string; n: number }>(
    `select hypothesis, variant, metric, tags->>'task' as task, tags->>'family' as family, count(distinct seed)::int as n
       from metric_rows where sweep_id = $1 group by 1, 2, 3, 4, 5`, [id]);
  for (const h of ['H3', 'H4']) {
    for (const metric of ['accuracy', 'f1', 'mcc', 'loss', 'teacher_accuracy', 'total_bits', 'bits_per_param', 'peak_mem_bytes', 'train_time_s', 'eval_tokens_per_s']) {
      for (const [task, family] of [['sentiment', 'classification'], ['arith', 'reasoning']]) {
        const rows = per.filter((r) => r.hypothesis === h && r.metric === metric && r.task === task);
        assert.ok(rows.length >= 2 && rows.every((r) => r.n === 3 && r.family === family), `${h} ${metric} ${task}: ${JSON.stringify(rows)}`);
      }
    }
  }
  // H4's budget-matched bin-blocks reports the rows it binarised, and its total bits meet bin-embed's within 1%
  const chosen = per.filter((r) => r.hypothesis === 'H4' && r.variant === 'bin-blocks' && r.metric === 'binarized_rows');
  assert.ok(chosen.length >= 2, JSON.stringify(chosen));
  const [budget] = await query<{ reject: boolean | null; details: Record<string, number> }>(
    `select reject, details from stat_tests where sweep_id = $1 and hypothesis = 'H4' and comparison = 'bit-budget'`, [id]);
  assert.equal(budget.reject, false, JSON.stringify(budget));
  assert.equal(budget.details.validPairs, 6); // 3 seeds x 2 tasks
  // H3: bits per parameter and peak memory of bin-blocks strictly below int4 in every pair
  const checks = await query<{ metric: string; reject: boolean | null; n: number }>(
    `select metric, reject, n from stat_tests where sweep_id = $1 and hypothesis = 'H3' and test = 'deterministic-check' order by metric`, [id]);
  assert.deepEqual(checks.map((c) => [c.metric, c.reject, c.n]), [['bits_per_param', false, 6], ['peak_mem_bytes', false, 6]]);
  // per-example correctness for unit-level tests: one values row per cell and task, ids = dev examples
  const [units] = await query<{ cells: number; n: number }>(
    `select count(distinct cell_key)::int as cells, count(*)::int as n from unit_value_rows where sweep_id = $1 and metric = 'correct'`, [id]);
  assert.ok(units.cells >= 12 && units.n >= 12 * 2 * 60, JSON.stringify(units));

  // verdicts from the existing rules
  const v = await query<{ hypothesis: string; verdict: string; reason: string; key_numbers: Record<string, unknown> }>(
    'select hypothesis, verdict, reason, key_numbers from verdicts where sweep_id = $1 order by hypothesis', [id]);
  assert.deepEqual(v.map((x) => x.hypothesis), ['H3', 'H4', 'H6']);
  for (const x of v.slice(0, 2)) assert.ok(VERDICTS.includes(x.verdict) && !x.reason.includes('too few seeds'), `${x.hypothesis}: ${x.verdict}: ${x.reason}`);
  const h3tests = await query<{ n: number }>(
    `select count(*)::int as n from stat_tests where sweep_id = $1 and hypothesis = 'H3' and comparison = 'accuracy-bin-vs-int4' and test = 'non-inferiority'`, [id]);
  assert.equal(h3tests[0].n, 2); // one per task
  const ranking = (v[2].key_numbers.familyRanking as Array<{ family: string; n: number }>).map((r) => [r.family, r.n]).sort();
  assert.deepEqual(ranking, [['classification', 3], ['reasoning', 3]]);
  assert.ok(v[2].verdict !== 'inconclusive' || !v[2].reason.includes('fewer than two families'), v[2].reason);
  // the report has the H3/H4 sections
  assert.ok(result.report, 'the sweep rendered its report');
  const [md] = await query<{ content: string }>("select content from reports where sweep_id = $1 and format = 'md'", [id]);
  assert.ok(md.content.includes('Bits and memory (deterministic checks)') && md.content.includes('Degradation from fp16, side by side'));
});
