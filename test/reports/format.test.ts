// Number formatting, escaping, SQL inlining and SVG scale helpers of the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtBytes, fmtCi, fmtInt, fmtMeanSd, fmtNum, fmtP, fmtPoint, fmtTime, prettyJson } from '../../reports/format.ts';
import { escapeHtml, escapeMarkdown, markdownFence } from '../../reports/escape.ts';
import { inlineSql, pointExpr, queries, sqlLiteral } from '../../reports/sql.ts';
import { ciFromAggregate } from '../../reports/descriptives.ts';
import { autoScaleKind, makeScale } from '../../reports/svg/scale.ts';

test('fmtNum: significant digits, grouping, signs, missing values', () => {
  assert.equal(fmtNum(0.973124), '0.9731');
  assert.equal(fmtNum(12.3456), '12.35');
  assert.equal(fmtNum(131072), '131\u2009072');
  assert.equal(fmtNum(-0.5), '−0.5');
  assert.equal(fmtNum(1.5e-6), '1.5×10⁻⁶');
  assert.equal(fmtNum(0), '0');
  assert.equal(fmtNum(NaN), '—');
  assert.equal(fmtNum(null), '—');
  assert.equal(fmtNum(Infinity), '∞');
  assert.equal(fmtInt(1234567), '1\u2009234\u2009567');
});

test('fmtMeanSd rounds the mean to the precision of its sd', () => {
  assert.equal(fmtMeanSd(0.973124, 0.004231), '0.9731 ± 0.0042');
  assert.equal(fmtMeanSd(12.3456, 1.234), '12.3 ± 1.2');
  assert.equal(fmtMeanSd(1234.5, 56), '1235 ± 56');
  assert.equal(fmtMeanSd(0.5, null), '0.5000');
  assert.equal(fmtMeanSd(null, 0.1), '—');
});

test('fmtP and fmtCi', () => {
  assert.equal(fmtP(0.0498), '0.0498');
  assert.equal(fmtP(0.05), '0.05');
  assert.equal(fmtP(0.25), '0.25');
  assert.equal(fmtP(0.01234), '0.0123');
  assert.equal(fmtP(0.001234), '0.00123');
  assert.equal(fmtP(0.00012345), '0.000123');
  assert.equal(fmtP(0.00001), '< 0.0001');
  assert.equal(fmtP(1), '1');
  assert.equal(fmtP(null), '—');
  assert.equal(fmtCi(0.9621, 0.9812), '[0.962, 0.981]');
  assert.equal(fmtCi(-0.0123, 0.0456), '[−0.012, 0.046]');
  assert.equal(fmtCi(null, null), '—');
  assert.equal(fmtBytes(1536), '1.5 KiB');
  assert.equal(fmtPoint({ bits: 256, k: 10 }), 'bits=256, k=10');
  assert.equal(fmtTime('2026-11-25T07:20:13.123Z'), '2026-11-25 07:20:13 UTC');
});

test('escaping', () => {
  assert.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeMarkdown('a|b *c* [d](e)\nf'), 'a\\|b \\*c\\* \\[d\\](e) f');
  assert.equal(escapeMarkdown('# not a heading'), '\\# not a heading');
  assert.equal(escapeMarkdown('1. not a list'), '1\\. not a list');
  assert.equal(markdownFence('x ``` y'), '````');
});

test('SQL literals and inlining', () => {
  assert.equal(sqlLiteral("it's"), "'it''s'");
  assert.equal(sqlLiteral(['a', "b'c"]), "ARRAY['a', 'b''c']::text[]");
  const q = { text: 'SELECT $1, $2, $10', values: ['a', 2, 3, 4, 5, 6, 7, 8, 9, 'ten'] as Array<string | number> };
  assert.equal(inlineSql(q), "SELECT 'a', 2, 'ten'");
  assert.throws(() => inlineSql({ text: 'SELECT $2', values: ['x'] }), /uses \$2/);
  assert.equal(pointExpr([]), 'tags');
  assert.equal(pointExpr(['bits']), "jsonb_strip_nulls(jsonb_build_object('bits', params -> 'bits')) || tags");
  const d = inlineSql(queries.descriptives("s'1", 'H1', ['bits'], ['overlap_at_k']));
  assert.ok(d.includes("sweep_id = 's''1' AND hypothesis = 'H1' AND metric = ANY(ARRAY['overlap_at_k']::text[])"));
});

test('CI from SQL aggregates is the t interval', () => {
  const [lo, hi] = ciFromAggregate(3, 10, 1);
  // t(0.975, 2) = 4.302653
  assert.ok(Math.abs((hi as number) - 10 - 4.302653 / Math.sqrt(3)) < 1e-5);
  assert.ok(Math.abs(10 - (lo as number) - 4.302653 / Math.sqrt(3)) < 1e-5);
  assert.deepEqual(ciFromAggregate(1, 10, null), [null, null]);
});

test('chart scales pick log2 for power-of-two grids and give nice ticks', () => {
  assert.equal(autoScaleKind([64, 128, 256, 512, 1024, 2048]), 'log2');
  assert.equal(autoScaleKind([1000, 10000, 100000]), 'log10');
  assert.equal(autoScaleKind([1, 2, 3]), 'linear');
  const s = makeScale('linear', [0.27, 1.01], [0, 100]);
  assert.deepEqual(s.ticks, [0.2, 0.4, 0.6, 0.8, 1, 1.2]);
  const l = makeScale('log2', [1024, 131072], [0, 100]);
  assert.equal(l.format(131072), '128k');
  assert.equal(Math.round(l.map(1024)), 0);
  assert.equal(Math.round(l.map(131072)), 100);
});

test('prettyJson keeps short arrays and objects on one line', () => {
  const v = { name: 'x', seeds: [1, 2, 3], grid: { H1: { bits: [64, 128] } }, long: Array.from({ length: 40 }, (_, i) => i * 1000) };
  const out = prettyJson(v, 60);
  assert.ok(out.includes('"seeds": [1,2,3]'));
  assert.ok(out.includes('"grid": {"H1":{"bits":[64,128]}}'));
  assert.deepEqual(JSON.parse(out), v);
});
