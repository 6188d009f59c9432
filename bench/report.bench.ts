// Renders the report of a synthetic sweep of ≥ 10,000 runs (100 seeds × 5 GPU generations over
// H1–H5, plus H6) to Markdown and HTML and prints the time; the goal is < 5 s for both.
// Run: node --import tsx bench/report.bench.ts
import { renderHtml } from '../reports/render-html.ts';
import { renderMarkdown } from '../reports/render-markdown.ts';
import { fixtureRuns, makeReportData } from '../test/reports/fixture.ts';

const GOAL_MS = 5000;
const t0 = performance.now();
const data = makeReportData({ seeds: 100, gpus: ['cpu', 'a100', 'h100', 'h200', 'b200'], tasks: 10, contexts: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072] });
const t1 = performance.now();
const md = renderMarkdown(data);
const t2 = performance.now();
const html = renderHtml(data);
const t3 = performance.now();

const runs = fixtureRuns(data);
const rows = data.hypotheses.reduce((a, h) => a + h.descriptives.rows.length, 0);
const tests = data.hypotheses.reduce((a, h) => a + h.tests.rows.length, 0);
const renderMs = t3 - t1;
console.log(`synthetic sweep: ${runs} runs, ${rows} descriptive rows, ${tests} test rows (fixture built in ${(t1 - t0).toFixed(0)} ms)`);
console.log(`markdown: ${(t2 - t1).toFixed(0)} ms, ${(md.length / 1024).toFixed(0)} KiB`);
console.log(`html:     ${(t3 - t2).toFixed(0)} ms, ${(html.length / 1024).toFixed(0)} KiB`);
console.log(`render total: ${renderMs.toFixed(0)} ms (goal < ${GOAL_MS} ms) ${renderMs < GOAL_MS ? 'OK' : 'TOO SLOW'}`);
if (runs < 10_000) { console.error(`the synthetic sweep has only ${runs} runs`); process.exitCode = 1; }
if (renderMs >= GOAL_MS) process.exitCode = 1;
