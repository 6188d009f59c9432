// End to end on Postgres with the real verdict engine: seed a sweep (test/reports/seed.ts), run
// the analysis activity's load → analyse → store, render with renderSweepReport, and check report
// numbers against direct SQL; then open the HTML in Chromium at 1280 px when it is installed.
// Runs on the test stack's embedded Postgres (or DATABASE_URL). Every seeded row is deleted afterwards.
import { before, test } from 'node:test';
import { ensureStack } from '../support/stack.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { closeDb, getPool } from '../../db/client.ts';
import { repoRoot } from '../../db/paths.ts';
import { loadSweepAnalysisInput, storeSweepAnalysis } from '../../activities/analyze.ts';
import { renderSweepReport } from '../../activities/report.ts';
import { analyzeSweepData } from '../../hypotheses/analysis/index.ts';
import { loadReportData } from '../../reports/load.ts';
import { renderMarkdown } from '../../reports/render-markdown.ts';
import { checkReportAgainstSql } from './db-checks.ts';
import { dropSeededSweep, seedSweep } from './seed.ts';

before(ensureStack);

test('seeded sweep → engine → report: numbers trace to Postgres', { timeout: 180_000 }, async (t) => {
  const pool = getPool();
  const sweepId = `report-selftest-engine-${process.pid}-${Date.now()}`;
  try {
    const cells = await seedSweep(pool, sweepId);
    const analysis = analyzeSweepData(await loadSweepAnalysisInput(sweepId));
    await storeSweepAnalysis(sweepId, analysis);
    const outDir = path.join(repoRoot, 'test-output', 'report-engine');
    const { htmlPath, markdownPath } = await renderSweepReport({ sweepId, outDir });
    const md = await readFile(markdownPath, 'utf8');
    const data = await loadReportData(sweepId, pool);
    assert.equal(renderMarkdown({ ...data, generatedAt: '' }).length > 0, true);
    const checked = await checkReportAgainstSql(pool, sweepId, data, md);
    t.diagnostic(`${cells} cells; verdicts: ${analysis.analyses.map((a) => `${a.hypothesis} ${a.verdict}`).join(', ')}; ${checked.join('; ')}`);
    assert.equal(data.hypotheses.length, 6);
    for (const h of data.hypotheses) {
      assert.ok(h.verdict, `${h.id} has a verdict`);
      assert.ok(h.analysis, `${h.id} analysis JSON is read back`);
      if (h.design.kernel) assert.ok(h.descriptives.rows.length > 0, `${h.id} descriptives`);
    }
    assert.ok(md.includes('hamming crashed: signal 11 (test)') && md.includes('no worker polls binllm-cpu (test)'), 'both holes are in the report');
    // every SQL the report prints runs as printed
    for (const h of data.hypotheses) {
      for (const q of [h.descriptives.sql, ...Object.values(h.descriptives.sqlByMetric), h.tests.sql, ...Object.values(h.tests.sqlByComparison), h.holes.sql, h.unmatched.sql, h.verdict!.sql]) await pool.query(q);
    }

    if (existsSync('/usr/bin/chromium')) {
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(pathToFileURL(htmlPath).href);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        await page.screenshot({ path: path.join(outDir, 'report-1280-full.png'), fullPage: true });
        assert.ok(width <= 1280, `engine report is ${width} px wide at 1280 px`);
      } finally {
        await browser.close();
      }
    } else {
      t.diagnostic('/usr/bin/chromium not installed: screenshot of the engine report skipped');
    }
  } finally {
    await dropSeededSweep(pool, sweepId).catch(() => undefined);
    await closeDb();
  }
});
