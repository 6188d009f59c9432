// `binllm embed` on a tiny BEIR folder the test writes (all-MiniLM-L6-v2 from PyPI, NumPy forward
// pass), then an H1 sweep on those embeddings through Temporal, the hamming kernel and Postgres.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId } from '../support/stack.ts';
import { ensureEmbedVenv, runEmbed } from '../../bin/commands/embed.ts';
import { repoRoot } from '../../db/paths.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

// Four topics, ten documents and two queries each; a query's relevant documents are its topic's.
const TOPICS: Record<string, { docs: string[]; queries: string[] }> = {
  cooking: {
    docs: ['Simmer the tomato sauce for twenty minutes', 'Knead the bread dough until it is smooth', 'Roast the chicken with garlic and thyme',
      'Whisk eggs and sugar for a light sponge cake', 'Season the soup with salt and black pepper', 'Fry the onions slowly until golden',
      'Bake the pizza in a very hot oven', 'Marinate the beef overnight in soy sauce', 'Steam the rice and let it rest covered', 'Chop fresh basil for the pasta'],
    queries: ['how long should I cook a tomato sauce', 'recipe for roast chicken'],
  },
  astronomy: {
    docs: ['Jupiter is the largest planet in the solar system', 'A light year measures the distance light travels in a year', 'The Moon orbits the Earth every 27 days',
      'Black holes bend light with their gravity', 'Saturn has bright rings of ice and rock', 'The Sun is a main sequence star',
      'Telescopes collect light from distant galaxies', 'Mars appears red because of iron oxide dust', 'Comets grow tails near the Sun', 'The Milky Way is a barred spiral galaxy'],
    queries: ['which planet is the biggest', 'why is mars red'],
  },
  football: {
    docs: ['The striker scored twice in the second half', 'The goalkeeper saved a penalty in extra time', 'The referee showed a red card to the defender',
      'The team won the league on the final day', 'A corner kick led to the winning header', 'The coach changed the formation at half time',
      'Fans filled the stadium for the cup final', 'The midfielder passed the ball into the box', 'An offside flag cancelled the goal', 'The club signed a young winger'],
    queries: ['who scored the goals in the match', 'penalty saved by the keeper'],
  },
  programming: {
    docs: ['A compiler translates source code into machine code', 'Unit tests catch regressions before release', 'A hash map gives constant time lookups',
      'Recursion calls a function from inside itself', 'Git records the history of a repository', 'A race condition appears when threads share state',
      'Garbage collection frees memory that is no longer used', 'An API defines how programs talk to each other', 'Type checking finds errors before the program runs', 'Binary search halves the interval each step'],
    queries: ['how does a compiler work', 'finding bugs with tests'],
  },
};

function writeBeir(dir: string, reverse = false): { nDocs: number; nQueries: number } {
  const docs: string[] = [], queries: string[] = [], qrels = ['query-id\tcorpus-id\tscore'];
  for (const [topic, t] of Object.entries(TOPICS)) {
    t.docs.forEach((text, i) => docs.push(JSON.stringify({ _id: `${topic}-${i}`, title: topic, text })));
    t.queries.forEach((text, j) => {
      queries.push(JSON.stringify({ _id: `${topic}-q${j}`, text }));
      t.docs.forEach((_, i) => qrels.push(`${topic}-q${j}\t${topic}-${i}\t1`));
    });
  }
  if (reverse) docs.reverse();
  mkdirSync(path.join(dir, 'qrels'), { recursive: true });
  writeFileSync(path.join(dir, 'corpus.jsonl'), docs.join('\n') + '\n');
  writeFileSync(path.join(dir, 'queries.jsonl'), queries.join('\n') + '\n');
  writeFileSync(path.join(dir, 'qrels', 'test.tsv'), qrels.join('\n') + '\n');
  return { nDocs: docs.length, nQueries: queries.length };
}

/** A float32 C-order 2-D .npy file: shape and rows. */
function readNpy(file: string): { rows: number; cols: number; data: Float32Array } {
  const buf = readFileSync(file);
  assert.equal(buf.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  assert.match(header, /'fortran_order': False/);
  const [, r, c] = header.match(/'shape': \((\d+), (\d+)\)/)!;
  const start = 10 + hlen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return { rows: Number(r), cols: Number(c), data };
}

let tmp: string;
let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'binllm-embed-'));
  ensureEmbedVenv(true);
  await ensureStack();
  worker = await startInProcessWorker({ concurrency: 2 });
});
after(async () => { await worker.stop(); await closeTestDb(); rmSync(tmp, { recursive: true, force: true }); });

test('embed: the NumPy encoder reproduces sentence-transformers\' reference vectors to 1e-4', () => {
  const python = ensureEmbedVenv(true);
  const r = spawnSync(python, [path.join(repoRoot, 'tools', 'embed', 'embed.py'), '--self-check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(out.self_check, 'ok');
  assert.ok(out.sentences >= 5);
  assert.ok(out.max_abs_diff <= 1e-4, `max |diff| ${out.max_abs_diff}`);
  // a reference off by 2e-4 in one component fails the check (exit 3), naming sentence and dim
  const ref = JSON.parse(readFileSync(path.join(repoRoot, 'tools', 'embed', 'reference_vectors.json'), 'utf8'));
  ref.vectors[2][5] += 2e-4;
  const bad = path.join(tmp, 'bad-reference.json');
  writeFileSync(bad, JSON.stringify(ref));
  const r2 = spawnSync(python, [path.join(repoRoot, 'tools', 'embed', 'embed.py'), '--self-check', '--reference', bad], { encoding: 'utf8' });
  assert.equal(r2.status, 3, r2.stderr);
  assert.match(r2.stderr, /self-check: sentence 2 .*dim 5/);
});

test('embed: bad BEIR input exits 2 naming the file and line', () => {
  const dir = path.join(tmp, 'bad');
  writeBeir(dir);
  writeFileSync(path.join(dir, 'queries.jsonl'), '{"_id": "q1", "text": "fine"}\nnot json\n');
  const python = ensureEmbedVenv(true);
  const r = spawnSync(python, [path.join(repoRoot, 'tools', 'embed', 'embed.py'), dir], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /queries\.jsonl', line 2: not JSON/);
  rmSync(path.join(dir, 'corpus.jsonl'));
  const r2 = spawnSync(python, [path.join(repoRoot, 'tools', 'embed', 'embed.py'), dir, '--skip-self-check'], { encoding: 'utf8' });
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /corpus\.jsonl' is missing/);
});

test('embed a BEIR folder, then an H1 sweep on the embeddings through the platform', { timeout: 600_000 }, async () => {
  const beir = path.join(tmp, 'beir');
  const { nDocs, nQueries } = writeBeir(beir);
  assert.equal(runEmbed(beir, { quiet: true }), 0);
  const corpus = readNpy(path.join(beir, 'corpus.npy'));
  const queries = readNpy(path.join(beir, 'queries.npy'));
  assert.deepEqual([corpus.rows, corpus.cols, queries.rows, queries.cols], [nDocs, 384, nQueries, 384]);
  for (let i = 0; i < corpus.rows; ++i) {
    let s = 0;
    for (let j = 0; j < 384; ++j) s += corpus.data[i * 384 + j] ** 2;
    assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-5, `row ${i} is L2-normalised`);
  }
  // rows follow corpus.jsonl order: the reversed file gives the reversed rows
  const rev = path.join(tmp, 'reversed');
  writeBeir(rev, true);
  assert.equal(runEmbed(rev, { quiet: true, out: path.join(tmp, 'reversed-out') }), 0);
  const rc = readNpy(path.join(tmp, 'reversed-out', 'corpus.npy'));
  let worst = 0;
  for (let i = 0; i < nDocs; ++i)
    for (let j = 0; j < 384; ++j) worst = Math.max(worst, Math.abs(rc.data[(nDocs - 1 - i) * 384 + j] - corpus.data[i * 384 + j]));
  assert.ok(worst < 1e-5, `reversed corpus rows differ by ${worst}`);

  const s0 = Date.now() % 1_000_000;
  const spec = {
    name: 'embed-h1', hypotheses: ['H1'], seeds: [s0, s0 + 1, s0 + 2], variants: { H1: ['rhp', 'sign'] },
    grid: { H1: { bits: [64, 256] } }, datasets: { H1: { dataset: 'beir', beir_dir: beir, ks: [10] } }, report: false,
  };
  const client = await temporalClient();
  const id = uniqueId('embed-h1');
  const result = await (await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] })).result() as SweepProgress;
  await client.connection.close();
  assert.equal(result.phase, 'completed');
  assert.equal(result.totals.ok, 9); // rhp × 2 code lengths + sign, 3 seeds
  // the real encoder puts each query's topic first: float nDCG@10 is high
  const [f] = await query<{ v: number; n: number }>(
    "select avg(value)::float8 as v, count(*)::int as n from metric_rows where sweep_id = $1 and metric = 'ndcg_at_10_float'", [id]);
  assert.equal(f.n, 9);
  assert.ok(f.v > 0.8, `float nDCG@10 ${f.v}`);
  const rescored = await query<{ n: number }>(
    "select count(*)::int as n from metric_rows where sweep_id = $1 and metric = 'ndcg_at_10_rescored'", [id]);
  assert.equal(rescored[0].n, 9);
  // per-query values carry the BEIR query ids, once per cell
  const units = await query<{ n: number; ids: number }>(
    `select count(*)::int as n, count(distinct unit_id)::int as ids from unit_value_rows
      where sweep_id = $1 and metric = 'ndcg_at_10_binary'`, [id]);
  assert.deepEqual(units[0], { n: 9 * nQueries, ids: nQueries });
  const some = await query<{ unit_id: string }>(
    "select distinct unit_id from unit_value_rows where sweep_id = $1 and metric = 'overlap_at_k' order by unit_id limit 1", [id]);
  assert.equal(some[0].unit_id, 'astronomy-q0');
});
