// Runs the analyzeSweep activity by hand against the running stack's Postgres (./binllm up or
// DATABASE_URL): with no argument it lists the latest sweeps; with a sweep id it analyses it
// twice (idempotence check: same stat_tests / verdicts counts) and prints the verdicts and timing.
// With --synthetic it first stores a small synthetic sweep (ids prefixed `analysis-selftest`),
// analyses it, and deletes everything it stored.
// Run: node --import tsx bench/analysis-activity.ts [sweepId | --synthetic]
import { eq, like, sql } from 'drizzle-orm';
import { closeDb, getDb } from '../db/client.ts';
import { metrics, runs, sweepCells, sweeps } from '../db/schema.ts';
import { analyzeSweep } from '../activities/analyze.ts';
import { expandHypothesisCells } from '../hypotheses/cells.ts';
import { spec, syntheticSweep } from '../test/analysis/helpers.ts';

async function storeSynthetic(sweepId: string): Promise<void> {
  const db = getDb();
  const s = spec({ name: sweepId, hypotheses: ['H1', 'H2', 'H5', 'H6'], seeds: [1, 2, 3, 4], gpus: ['cpu'], variants: { H1: ['rhp', 'sign'] }, grid: { H1: { bits: [64, 256, 1024] } } });
  // The CPU has no energy telemetry: drop joules_per_token, as a CPU worker without RAPL would.
  const { rows } = syntheticSweep(s, 0);
  const kept = rows.filter((r) => r.metric !== 'joules_per_token');
  await db.insert(sweeps).values({ id: sweepId, name: sweepId, spec: s, status: 'completed', workflowId: `manual-${sweepId}` });
  for (const h of s.hypotheses) {
    const cells = expandHypothesisCells(s, h);
    for (const c of cells) {
      const key = `${sweepId}:${h}-${c.index}`;
      await db.insert(runs).values({ cellKey: key, kernel: c.kernel, kernelVersion: 'selftest', variant: c.variant, params: c.params, seed: c.seed, gpu: c.gpu, status: 'ok' });
      await db.insert(sweepCells).values({ sweepId, hypothesis: h, cellIndex: c.index, kernel: c.kernel, variant: c.variant, seed: c.seed, gpu: c.gpu, queue: c.queue, params: c.params, cellKey: key, status: 'ok' });
      const mine = kept.filter((r) => r.cellKey === `${h}-${c.index}`);
      if (mine.length) await db.insert(metrics).values(mine.map((r) => ({ cellKey: key, name: r.metric, value: r.value, tags: r.tags })));
    }
  }
}

async function dropSynthetic(sweepId: string): Promise<void> {
  const db = getDb();
  await db.delete(sweeps).where(eq(sweeps.id, sweepId));
  await db.delete(runs).where(like(runs.cellKey, `${sweepId}:%`));
}

async function main(): Promise<void> {
  const db = getDb();
  const synthetic = process.argv[2] === '--synthetic';
  const sweepId = synthetic ? 'analysis-selftest' : process.argv[2];
  if (synthetic) {
    await dropSynthetic(sweepId);
    await storeSynthetic(sweepId);
  }
  try {
    await analyse(sweepId);
  } finally {
    if (synthetic) await dropSynthetic(sweepId);
  }
}

async function analyse(sweepId: string | undefined): Promise<void> {
  const db = getDb();
  if (!sweepId) {
    const r = await db.execute(sql`
      SELECT s.id, s.status, s.created_at,
             (SELECT count(*)::int FROM metric_rows m WHERE m.sweep_id = s.id) AS metric_rows,
             (SELECT count(*)::int FROM verdicts v WHERE v.sweep_id = s.id) AS verdicts
      FROM sweeps s ORDER BY s.created_at DESC LIMIT 15`);
    console.table(r.rows);
    return;
  }
  const counts = async () => (await db.execute(sql`
    SELECT (SELECT count(*)::int FROM stat_tests WHERE sweep_id = ${sweepId}) AS tests,
           (SELECT count(*)::int FROM verdicts WHERE sweep_id = ${sweepId}) AS verdicts`)).rows[0];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const res = await analyzeSweep({ sweepId });
    const ms = performance.now() - t0;
    console.log(`run ${i + 1}: ${res.tests} test records in ${ms.toFixed(0)} ms; stored: ${JSON.stringify(await counts())}`);
    if (i === 0) for (const v of res.verdicts) console.log(`  ${v.hypothesis}: ${v.verdict} — ${v.reason}`);
  }
}

main().finally(() => closeDb()).catch((e) => { console.error(e); process.exitCode = 1; });
