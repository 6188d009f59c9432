// Benchmark of the verdict engine: a synthetic protocol sweep (H1–H6, 10 seeds, 3 GPU generations,
// full grids, 8 GLUE-style tasks) padded with unanalysed system metrics to 100,000 metric rows,
// analysed into test records and verdicts. Goal: < 2 s.
// Run: node --import tsx bench/analysis.bench.ts [rows] [--dense]
import os from 'node:os';
import { analyzeSweepData } from '../hypotheses/analysis/index.ts';
import { spec, syntheticSweep } from '../test/analysis/helpers.ts';

const target = Number(process.argv[2] ?? 100_000);
// `--dense`: no filler; 112 tasks so that nearly every row is an analysed metric (a harder case).
const dense = process.argv.includes('--dense');
const GLUE = ['cola', 'sst2', 'mrpc', 'qqp', 'mnli', 'qnli', 'rte', 'wnli'];
const TASKS = dense ? Array.from({ length: 112 }, (_, i) => `${GLUE[i % 8]}-${Math.floor(i / 8)}`) : GLUE;
const s = spec({
  preset: 'protocol', seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  variants: { H1: ['rhp', 'itq', 'sign'], H2: ['bin-kv', 'int4', 'int8', 'fp16'], H3: ['bin-blocks', 'int4', 'fp16'], H4: ['bin-embed', 'bin-blocks', 'fp16'], H5: ['bin-kv', 'int4'] },
});
const base = syntheticSweep(s, 0, 7, TASKS);
const cells = base.cells.length;
const extra = Math.max(0, Math.ceil((target - base.rows.length) / cells));
const { rows, cells: statuses } = syntheticSweep(s, extra, 7, TASKS);
rows.length = Math.min(rows.length, target);
console.log(`rows: ${rows.length} (${base.rows.length} analysed metrics + filler), cells: ${cells}, hypotheses: ${s.hypotheses.join(' ')}, seeds: ${s.seeds.length}, gpus: ${s.gpus.join(' ')}`);

const times: number[] = [];
const cpu: number[] = [];
let tests = 0;
let verdicts = '';
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const a = analyzeSweepData({ spec: s, rows, cells: statuses });
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  tests = a.tests;
  verdicts = a.analyses.map((x) => `${x.hypothesis}=${x.verdict}`).join(' ');
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`test records: ${tests}; verdicts: ${verdicts}`);
console.log(`CPU time (less sensitive to other load on the machine): first ${cpu[0].toFixed(0)} ms, median ${[...cpu].sort((a, b) => a - b)[2].toFixed(0)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
console.log(`analysis time: first ${times[0].toFixed(0)} ms (cold), median ${sorted[2].toFixed(0)} ms, best ${sorted[0].toFixed(0)} ms over 5 runs — goal < 2000 ms: ${times[0] < 2000 ? 'met' : 'NOT met'}`);
