// A binllm worker: polls `binllm` (workflows + bookkeeping activities) unless --no-control, and
// `binllm-<gpu>` for experiment cells. One kernel per GPU at a time; the CPU queue's concurrency
// follows the cores.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { cellActivities, controlActivities } from '../activities/queues.ts';
import { setWorkerContext } from '../activities/worker-context.ts';
import { identityWithSlots } from '../activities/worker-identity.ts';
import { CONTROL_QUEUE, GPU_NAMES, queueFor } from '../hypotheses/definition.ts';
import { connectWorkerConnection } from './stack/temporal-connection.ts';
import { ensureWorkflowBundle } from './stack/workflow-bundle.ts';

export interface WorkerOptions { gpu: string; control: boolean; concurrency?: number; device?: number; identity?: string }

/** nvidia-smi's first GPU name → our generation name, else cpu. */
export function detectGpu(): string {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) return 'cpu';
  const name = r.stdout.split('\n')[0].toLowerCase();
  for (const g of ['gb200', 'b200', 'h200', 'h100', 'a100'] as const) if (name.includes(g)) return g;
  if (name.includes('blackwell')) return 'b200';
  return 'cpu';
}

export interface RunningWorkers { workers: Worker[]; run(): Promise<void>; shutdown(): void; queues: string[] }

export async function createWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  const gpu = opts.gpu === 'auto' ? detectGpu() : opts.gpu;
  if (!(GPU_NAMES as readonly string[]).includes(gpu)) throw new Error(`--gpu ${gpu}: unknown; use one of auto, ${GPU_NAMES.join(', ')}`);
  const cores = os.availableParallelism();
  const slots = opts.concurrency ?? (gpu === 'cpu' ? cores : 1);
  const base = opts.identity ?? `${os.hostname()}-${process.pid}-${gpu}`;
  const identity = identityWithSlots(base, slots);
  setWorkerContext({
    gpu,
    device: gpu === 'cpu' ? 'cpu' : `cuda:${opts.device ?? 0}`,
    threads: gpu === 'cpu' ? Math.max(1, Math.floor(cores / slots)) : Math.max(1, cores),
    identity,
  });
  installRuntime();
  const { connection, namespace } = await connectWorkerConnection();
  const workers: Worker[] = [];
  if (opts.control) {
    workers.push(await Worker.create({
      connection, namespace, taskQueue: CONTROL_QUEUE,
      workflowBundle: { codePath: ensureWorkflowBundle() },
      activities: controlActivities,
      maxConcurrentActivityTaskExecutions: 4,
      identity: `${base}-control`,
    }));
  }
  workers.push(await Worker.create({
    connection, namespace, taskQueue: queueFor(gpu), activities: cellActivities,
    maxConcurrentActivityTaskExecutions: slots, identity,
  }));
  const queues = [...(opts.control ? [CONTROL_QUEUE] : []), queueFor(gpu)];
  return {
    workers, queues,
    shutdown: () => workers.forEach((w) => { if (w.getState() === 'RUNNING') w.shutdown(); }),
    run: async () => {
      console.error(`binllm worker: polling ${queues.join(', ')} (${slots} cell slot${slots > 1 ? 's' : ''})`);
      await Promise.all(workers.map((w) => w.run()));
      await connection.close();
    },
  };
}

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.BINLLM_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
}

export async function runWorkers(opts: WorkerOptions): Promise<void> {
  const w = await createWorkers(opts);
  process.once('SIGINT', w.shutdown);
  process.once('SIGTERM', w.shutdown);
  await w.run();
}
