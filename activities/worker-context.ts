// What the worker process running the activities knows about its host: which GPU generation it
// serves, which device index its kernels get, and how many threads each kernel may use.
import os from 'node:os';

export interface WorkerContext { gpu: string; device: string; threads: number; identity: string }

let ctx: WorkerContext = { gpu: 'cpu', device: 'cpu', threads: Math.max(1, os.availableParallelism()), identity: `${os.hostname()}-${process.pid}` };

export function setWorkerContext(c: Partial<WorkerContext>): void { ctx = { ...ctx, ...c }; }
export function workerContext(): WorkerContext { return ctx; }
