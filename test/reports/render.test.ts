// Renderer tests on a constructed ReportData: every section present, holes shown, text escaped,
// numbers formatted, SQL under every table, and a self-contained HTML file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../reports/render-html.ts';
import { renderMarkdown } from '../../reports/render-markdown.ts';
import { buildReport } from '../../reports/build.ts';
import type { Block } from '../../reports/document.ts';
import { HOSTILE, makeReportData } from './fixture.ts';

const data = makeReportData();
const html = renderHtml(data);
const md = renderMarkdown(data);

function allBlocks(blocks: Block[]): Block[] {
  return blocks.flatMap((b) => (b.kind === 'section' || b.kind === 'columns' || b.kind === 'details' ? [b, ...allBlocks(b.blocks)] : [b]));
}

test('every section is present in both formats', () => {
  const headings = ['Verdicts', 'Data completeness', 'Provenance', 'Kernels, builds and devices', 'Failed or missing cells', 'Sweep spec (as stored)'];
  for (const h of headings) {
    assert.ok(html.includes(`>${h}</h`), `HTML heading ${h}`);
    assert.ok(md.includes(` ${h}\n`), `Markdown heading ${h}`);
  }
  for (const s of data.hypotheses) {
    const id = s.id.toLowerCase();
    assert.ok(html.includes(`<h2 id="${id}">${s.id} — `), `${s.id} section`);
    for (const sub of ['claim', 'design', 'holes', 'tests', 'charts']) assert.ok(html.includes(`id="${id}-${sub}"`), `${s.id} ${sub}`);
    if (s.design.kernel) assert.ok(html.includes(`id="${id}-descriptives"`), `${s.id} descriptives`);
    assert.ok(html.includes(s.design.claim.slice(0, 40)), `${s.id} claim text`);
    assert.ok(md.includes(`## ${s.id} — `), `${s.id} in Markdown`);
  }
});

test('verdicts come first, with reason and key number', () => {
  const verdicts = html.indexOf('id="verdicts"');
  assert.ok(verdicts > 0 && verdicts < html.indexOf('id="h1"'));
  assert.match(html, /<span class="badge badge-supported">supported<\/span>/);
  assert.match(html, /<span class="badge badge-rejected">rejected<\/span>/);
  assert.match(html, /<span class="badge badge-inconclusive">inconclusive<\/span>/);
  assert.ok(html.includes('<strong>m* = 512 (rhp)</strong>'), 'H1 key number m*');
  assert.ok(html.includes('<strong>worst-case ppl ratio = 1.043 (upper bound 1.071)</strong>'), 'H2 worst-case ratio');
  assert.ok(html.includes('<strong>crossover L* = cpu: 16\u2009384; h100: none</strong>'), 'H5 crossover per GPU');
  assert.ok(html.includes('<strong>ranking: retrieval 0.08 &gt; language-modelling 0.03 &gt; classification 0.01</strong>'), 'H6 ranking');
  assert.ok(html.includes('Key numbers of the verdict (verdicts.key_numbers)'), 'all key numbers, with their SQL');
  assert.match(md, /\| \*\*SUPPORTED\*\* \|/);
});

test('holes in the data are shown, never hidden', () => {
  assert.ok(html.includes('Holes in the data'), 'summary warning');
  assert.ok(html.includes('no worker polls binllm-h100'), 'H5 no_worker reason');
  assert.ok(html.includes('#7 rhp s1 cpu, #9 rhp s3 cpu'), 'H1 failed cells listed');
  assert.ok(html.includes('Observations left out of the paired tests (1)'), 'H4 unmatched observation');
  assert.ok(html.includes('Analysis warning: '), 'analysis warnings');
  assert.ok(md.includes('no worker polls binllm-h100'));
  const complete = renderHtml(makeReportData({ holes: false }));
  assert.ok(complete.includes('Every cell the spec expands to is recorded and produced data.'));
  assert.ok(!complete.includes('Holes in the data'));
});

test('untrusted text is escaped in HTML, SVG and Markdown', () => {
  assert.ok(!html.includes('<script'), 'no script element');
  assert.ok(!html.includes('<img'), 'no img element');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'), 'escaped text kept');
  // code fences show text literally; everywhere else markup must be escaped
  const mdOutsideCode = md.replace(/^(`{3,})[a-z]*\n[\s\S]*?\n\1$/gm, '');
  assert.ok(md.includes('"name": "demo <script>'), 'the spec JSON is shown verbatim in a code block');
  assert.ok(!mdOutsideCode.includes('<script'), 'Markdown: no raw script tag');
  assert.ok(!mdOutsideCode.includes('<img'), 'Markdown: no raw img tag');
  assert.ok(md.includes('&lt;script\\>alert') && md.includes('\\*boom\\*') && md.includes('\\|'), 'Markdown: markup characters escaped');
  // a table row with the hostile text still has the right number of cells
  const row = md.split('\n').find((l) => l.startsWith('| **FAILED**') || (l.startsWith('| **failed**')));
  assert.ok(row, 'hole row present');
  assert.equal(row.split(/(?<!\\)\|/).length - 2, 4, 'hole table row keeps its 4 cells');
  assert.ok(HOSTILE.includes('|'));
});

test('numbers are formatted with sensible precision', () => {
  for (const bad of ['NaN', 'undefined', 'Infinity', '>null<', '[object Object]']) {
    assert.ok(!html.includes(bad), `HTML has no ${bad}`);
    assert.ok(!md.includes(bad), `Markdown has no ${bad}`);
  }
  // no long float artefacts like 0.30000000000000004 anywhere in text
  const text = html.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<[^>]+>/g, ' ');
  assert.ok(!/\d\.\d{9,}/.test(text), 'no unrounded floats');
  const mean = data.hypotheses[0].descriptives.rows[0];
  assert.ok(mean.mean !== null);
  assert.match(html, /\d\.\d+ ± \d\.\d+/);
  assert.ok(html.includes('&lt; 0.0001') || html.includes('< 0.0001'), 'tiny p-values as < 0.0001');
});

test('every table that shows data carries the SQL that reproduces it', () => {
  const tables = allBlocks(buildReport(data)).filter((b): b is Extract<Block, { kind: 'table' }> => b.kind === 'table');
  const dataTables = tables.filter((t) => t.className !== 'kv' || t.sql);
  const withSql = dataTables.filter((t) => t.sql);
  // design key/value tables and the comparisons table come from the spec/definitions, not from rows
  const fromRows = tables.filter((t) => !(t.caption ?? '').startsWith('Comparisons') && !(t.className === 'kv' && !t.sql));
  assert.deepEqual(fromRows.filter((t) => !t.sql).map((t) => t.caption ?? t.columns[0].header), []);
  assert.ok(withSql.length >= 20);
  for (const t of withSql) {
    assert.ok(!/\$\d/.test(t.sql!), 'parameters are inlined');
    assert.ok(t.sql!.includes("'sw-demo-0001'"), 'sweep id inlined as a literal');
    assert.match(t.sql!, /^SELECT /);
  }
  assert.equal((html.match(/<details class="sql">/g) ?? []).length, withSql.length);
  assert.ok(md.includes("```sql\nSELECT variant, gpu, metric"), 'Markdown SQL block');
});

test('the HTML is one self-contained file', () => {
  assert.doesNotMatch(html, /\s(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i, 'no external src/href');
  assert.doesNotMatch(html, /<script\b/i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /@import|url\(/i);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(md, /\]\((?:https?:)?\/\//, 'Markdown links/images are local or data URIs');
});

test('charts fit each hypothesis and have axes, units and legends', () => {
  const charts = (id: string) => {
    const sec = html.slice(html.indexOf(`id="${id}-charts"`), html.indexOf('</section>', html.indexOf(`id="${id}-charts"`)));
    return (sec.match(/<svg[\s\S]*?<\/svg>/g) ?? []) as string[];
  };
  // H5 adds its tokens/s ratio chart with the crossover L* (reports/sections/h5.ts) after the charts
  const expected: Record<string, number> = { h1: 2, h2: 2, h3: 1, h4: 1, h5: 3, h6: 1 };
  for (const [id, n] of Object.entries(expected)) assert.equal(charts(id).length, n, `${id} charts`);
  const all = Object.keys(expected).flatMap(charts);
  for (const svg of all) {
    assert.match(svg, /<title>[^<]+<\/title>/, 'title');
    assert.match(svg, /class="legend"/, 'legend');
    assert.match(svg, /\([^)<]+\)<\/text>/, 'an axis title with its unit');
  }
  const overlap = charts('h1')[0]!;
  assert.ok(overlap.includes('threshold 0.95'), 'H1 0.95 line');
  assert.ok(overlap.includes('code length m (bits)'), 'H1 x axis with unit');
  assert.ok(charts('h2')[0]!.includes('margin ×1.05'), 'H2 1.05 line');
  assert.ok(charts('h3')[0]!.includes('non-inferiority margin −1'), 'H3 margin line');
  assert.ok(charts('h5')[0]!.includes('(J/token)') && charts('h5')[1]!.includes('(tokens/s)'), 'H5 units');
  const h6 = charts('h6')[0]!;
  assert.ok(h6.indexOf('>retrieval<') < h6.indexOf('>language-modelling<') && h6.indexOf('>language-modelling<') < h6.indexOf('>classification<'), 'H6 ranked');
  assert.ok(md.includes('](data:image/svg+xml;base64,'), 'Markdown embeds the charts');
});

test('a hypothesis without data says so instead of drawing an empty table', () => {
  const d = makeReportData();
  const h2 = d.hypotheses.find((h) => h.id === 'H2')!;
  h2.tests.rows = [];
  h2.descriptives.rows = [];
  h2.verdict = null;
  const out = renderHtml(d);
  assert.ok(out.includes('No tests stored'));
  assert.ok(out.includes('No metric rows'));
  assert.ok(out.includes('no data in this sweep'));
  assert.ok(out.includes('No verdict is stored for this hypothesis.'));
});

test('a sweep that did not complete is flagged at the top', () => {
  const d = makeReportData();
  d.sweep.status = 'failed';
  d.sweep.error = 'worker lost <x>';
  d.sweep.finishedAt = null;
  const out = renderHtml(d);
  assert.ok(out.indexOf('Sweep not completed') < out.indexOf('id="verdicts"'));
  assert.ok(out.includes('Sweep error: </strong>worker lost &lt;x&gt;'));
});

test('key numbers are tables, not JSON: a list of records gets a row each and a column per inner key', async () => {
  const { keyNumberBlocks } = await import('../../reports/key-numbers.ts');
  const blocks = keyNumberBlocks({
    mStar: 256, overlapByM: [{ m: 64, lcb: { 10: 0.495, 50: 0.51 } }, { m: 256, lcb: { 10: 0.96, 50: 0.97 } }],
    binarizers: { rhp: { status: 'supported', mStar: 256 }, sign: { status: 'no-data', mStar: null } },
  }, "SELECT key_numbers FROM verdicts WHERE sweep_id = 'x'");
  const tables = blocks.filter((b): b is Extract<Block, { kind: 'table' }> => b.kind === 'table');
  const byM = tables.find((t) => t.caption === 'overlap by m')!;
  assert.deepEqual(byM.columns.map((c) => c.header), ['m', 'lcb 10', 'lcb 50']);
  assert.deepEqual(byM.rows.map((r) => r.map((c) => c.join(''))), [['64', '0.495', '0.51'], ['256', '0.96', '0.97']]);
  const bin = tables.find((t) => t.caption === 'binarizers')!;
  assert.deepEqual(bin.rows.map((r) => String(r[0][0] && typeof r[0][0] === 'object' ? r[0][0].text : r[0][0])), ['rhp', 'sign']);
  const md = renderMarkdown({ ...data, hypotheses: data.hypotheses.map((h) => h.verdict ? { ...h, verdict: { ...h.verdict, keyNumbers: { overlapByM: [{ m: 64, lcb: { 10: 0.495 } }] } } } : h) });
  assert.doesNotMatch(md, /\[\{"m":64/);
  assert.ok(tables.every((t) => t.sql), 'each carries its SQL');
});

test('a hypothesis section reads verdict → charts → primary comparisons; the full test tables are collapsed', () => {
  const h1 = html.slice(html.indexOf('id="h1"'), html.indexOf('id="h2"'));
  const at = (s: string) => { const i = h1.indexOf(s); assert.ok(i >= 0, s); return i; };
  assert.ok(at('badge') < at('<svg'));
  assert.ok(at('<svg') < at('Primary comparisons: the claim test'));
  assert.ok(at('Primary comparisons: the claim test') < at('<summary>All paired differences and tests'));
  assert.ok(at('<summary>All paired differences and tests') < at('overlap-rhp (primary)'), 'the per-test tables sit inside the collapsed block');
  assert.ok(at('<svg') < 5000, `the charts start near the top of the section (at ${at('<svg')})`);
});
