// Sweep specs: presets validate and plan; each kind of bad input is named with its JSON path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSweepSpec, type SpecIssue } from '../../hypotheses/sweep-spec.ts';
import { expandHypothesisCells, planSweep } from '../../hypotheses/cells.ts';
import { PRESETS } from '../../hypotheses/presets.ts';
import { checkSpecResources } from '../../activities/spec-resources.ts';

const issuesOf = (input: unknown): SpecIssue[] => {
  const r = validateSweepSpec(input);
  assert.equal(r.ok, false, 'expected the spec to be rejected');
  return r.ok ? [] : r.issues;
};
const hasIssue = (issues: SpecIssue[], path: string, re: RegExp) =>
  assert.ok(issues.some((i) => i.path === path && re.test(i.message)), `expected ${path} ~ ${re}, got ${JSON.stringify(issues)}`);

test('both presets validate and expand to cells', () => {
  for (const name of Object.keys(PRESETS)) {
    const r = validateSweepSpec({ preset: name });
    assert.ok(r.ok, `${name}: ${JSON.stringify(!r.ok && r.issues)}`);
    const plan = planSweep(r.spec);
    assert.ok(plan.totalCells > 0);
  }
  const quick = validateSweepSpec({ preset: 'quick' });
  assert.ok(quick.ok);
  const plan = planSweep(quick.spec);
  // H1: rhp over 5 code lengths, itq over the 3 with m ≤ d = 256, sign once (m = d), 3 seeds each
  const h1 = plan.hypotheses.find((h) => h.hypothesis === 'H1')!;
  assert.equal(h1.cells, (5 + 3 + 1) * 3);
  assert.match(h1.skipped.join(), /itq: bits=512; bits=1024 left out \(itq needs m ≤ d\)/);
  // H3: bin-blocks + int4, H4: bin-embed + budget-matched bin-blocks + fp16, 3 seeds each
  assert.equal(plan.hypotheses.find((h) => h.hypothesis === 'H3')!.cells, 2 * 3);
  assert.equal(plan.hypotheses.find((h) => h.hypothesis === 'H4')!.cells, 3 * 3);
  assert.deepEqual(plan.hypotheses.find((h) => h.hypothesis === 'H6')!.derivedFrom, ['H1', 'H2', 'H3', 'H4']);
});

test('a preset with overrides replaces top-level keys', () => {
  const r = validateSweepSpec({ preset: 'quick', hypotheses: ['H1'], seeds: [5, 6, 7, 8] });
  assert.ok(r.ok);
  assert.deepEqual(r.spec.seeds, [5, 6, 7, 8]);
  assert.deepEqual(r.spec.hypotheses, ['H1']);
});

test('cells pair by seed: variant and baseline share every param but the variant ones', () => {
  const r = validateSweepSpec({ hypotheses: ['H2'], seeds: [1, 2, 3] });
  assert.ok(r.ok);
  const cells = expandHypothesisCells(r.spec, 'H2');
  assert.equal(cells.length, 6);
  const bin = cells.find((c) => c.variant === 'bin-kv' && c.seed === 2)!;
  const int4 = cells.find((c) => c.variant === 'int4' && c.seed === 2)!;
  assert.deepEqual({ ...bin.params, kv: null }, { ...int4.params, kv: null });
  assert.equal(bin.queue, 'binllm-cpu');
  assert.deepEqual(cells.map((c) => c.index), [0, 1, 2, 3, 4, 5]);
});

test('bad input: each problem is reported with its JSON path', () => {
  hasIssue(issuesOf({ hypotheses: ['H1', 'H9'], seeds: [1, 2, 3] }), '$.hypotheses[1]', /expected one of/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [] }), '$.seeds', /seed list is empty/);
  hasIssue(issuesOf({ hypotheses: ['H2'], seeds: [1, 2, 3], variants: { H2: ['bin-kv', 'int5'] } }), '$.variants.H2[1]', /unknown variant "int5"/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 2, 3], datasets: { H1: { n_docs: -5 } } }), '$.datasets.H1.n_docs', /positive integer/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 2, 3], grid: { H1: { bits: [64, 0] } } }), '$.grid.H1.bits[1]', /positive integer/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 2, 3], settings: { H1: { ndcgMargin: -0.02 } } }), '$.settings.H1.ndcgMargin', /must be > 0/);
  hasIssue(issuesOf({ hypotheses: ['H2'], seeds: [1, 2, 3], settings: { H2: { pplRatio: 0.95 } } }), '$.settings.H2.pplRatio', /must be > 1/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 1, 2] }), '$.seeds[1]', /listed twice/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 2, 3], params: { H1: { seed: 4 } } }), '$.params.H1.seed', /set by the platform/);
  hasIssue(issuesOf({ hypotheses: ['H1'], seeds: [1, 2, 3], sedes: [1] }), '$', /sedes/);
  hasIssue(issuesOf({ preset: 'fast' }), '$.preset', /unknown preset "fast"/);
  hasIssue(issuesOf('{"hypotheses": ['), '$', /not valid JSON/);
});

test('fewer seeds than the minimum is allowed but warned about', () => {
  const r = validateSweepSpec({ hypotheses: ['H1'], seeds: [1, 2] });
  assert.ok(r.ok);
  assert.ok(r.warnings.some((w) => w.path === '$.seeds' && /inconclusive \(too few seeds\)/.test(w.message)));
});

test('a dataset path that does not exist is named before the sweep starts', async () => {
  const r = validateSweepSpec({ hypotheses: ['H1'], seeds: [1, 2, 3], datasets: { H1: { dataset: 'npy', corpus_npy: '/no/such/corpus.npy' } } });
  assert.ok(r.ok);
  const issues = await checkSpecResources(r.spec);
  hasIssue(issues, '$.datasets.H1.corpus_npy', /path does not exist: \/no\/such\/corpus\.npy/);
});
