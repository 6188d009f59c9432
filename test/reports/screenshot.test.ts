// Opens the rendered HTML report in headless Chromium at 1280 px: nothing overflows horizontally,
// no table needs its own scroll bar, no request leaves the file, and a PNG goes to test-output/.
// Skipped (with the reason) only when /usr/bin/chromium is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { repoRoot } from '../../db/paths.ts';
import { renderHtml } from '../../reports/render-html.ts';
import { makeReportData } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.join(repoRoot, 'test-output');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get update && apt-get install -y chromium)`;

test('HTML report renders at 1280 px without overflow', { skip, timeout: 120_000 }, async () => {
  await mkdir(OUT, { recursive: true });
  const file = path.join(OUT, 'report.html');
  await writeFile(file, renderHtml(makeReportData()), 'utf8');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    page.on('request', (r) => { if (!/^(file|data|about):/.test(r.url())) external.push(r.url()); });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const m = await page.evaluate(() => {
      const doc = document.documentElement;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 0.5 && !e.closest('.table-wrap'))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
      const scrollingTables = [...document.querySelectorAll('.table-wrap')]
        .filter((w) => w.scrollWidth > w.clientWidth + 1)
        .map((w) => w.querySelector('caption')?.textContent ?? w.querySelector('th')?.textContent ?? '?');
      const svgs = [...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect());
      return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide, scrollingTables, charts: svgs.length, smallest: Math.min(...svgs.map((r) => r.width)) };
    });
    await page.screenshot({ path: path.join(OUT, 'report-1280-top.png') });
    await page.screenshot({ path: path.join(OUT, 'report-1280-full.png'), fullPage: true });
    assert.ok(m.scrollWidth <= 1280, `page is ${m.scrollWidth} px wide at a 1280 px viewport; overflowing: ${m.wide.join(', ')}`);
    assert.deepEqual(m.wide, [], 'elements reaching past the viewport');
    assert.deepEqual(m.scrollingTables, [], 'tables that need a horizontal scroll bar at 1280 px');
    assert.equal(m.charts, 10, 'all charts rendered'); // 9 from charts.ts + the H5 ratio chart (reports/sections/h5.ts)
    assert.ok(m.smallest >= 400, `charts are readable (smallest ${m.smallest} px wide)`);
    assert.deepEqual(external, [], 'no request leaves the file');
  } finally {
    await browser.close();
  }
});
