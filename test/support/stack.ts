// Test support: a real Temporal dev server and a real embedded Postgres in an isolated home
// (.binllm/test, ports 7243/8243/5443 unless `binllm test` set others), workers in-process or as
// separate processes (for kill -9 tests). No mocks of either service.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Client } from '@temporalio/client';
import { repoRoot } from '../../db/paths.ts';

process.env.BINLLM_HOME ??= path.join(repoRoot, '.binllm', 'test');
process.env.BINLLM_KERNEL_BUILD ??= path.join(repoRoot, '.binllm', 'build', 'kernels');
process.env.BINLLM_TEMPORAL_PORT ??= '7243';
process.env.BINLLM_PG_PORT ??= '5443';

let ready: Promise<void> | undefined;

/** Starts (or reuses) the test stack and applies migrations. */
export function ensureStack(): Promise<void> {
  ready ??= (async () => {
    const { up } = await import('../../bin/commands/stack.ts');
    await up({ worker: false, build: false, quiet: true });
  })();
  return ready;
}

export async function temporalClient(): Promise<Client> {
  const { connectClient } = await import('../../bin/stack/temporal-connection.ts');
  return connectClient();
}

let pool: pg.Pool | undefined;
export async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const { resolveDatabaseUrl } = await import('../../db/url.ts');
  pool ??= new pg.Pool({ connectionString: resolveDatabaseUrl(), max: 2 });
  return (await pool.query(sql, params)).rows as T[];
}

export async function closeTestDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
  const { closeDb } = await import('../../db/client.ts');
  await closeDb();
}

/** An in-process worker polling the control queue and binllm-cpu. */
export async function startInProcessWorker(opts: { concurrency?: number } = {}) {
  const { createWorkers } = await import('../../bin/worker.ts');
  const w = await createWorkers({ gpu: 'cpu', control: true, concurrency: opts.concurrency ?? 2, identity: `test-${process.pid}` });
  const running = w.run();
  return { stop: async () => { w.shutdown(); await running; } };
}

/** A worker in its own process group, so a test can kill -9 it with its kernels. */
export async function spawnWorkerProcess(name: string, args: string[] = ['--gpu', 'cpu']): Promise<ChildProcess> {
  const logs = path.join(process.env.BINLLM_HOME!, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = path.join(logs, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const { tsxImportArg, workerNodeFlags } = await import('../../bin/stack/processes.ts');
  const child = spawn(process.execPath, [...workerNodeFlags(), '--import', tsxImportArg(), path.join(repoRoot, 'bin', 'cli.ts'), 'worker', ...args],
    { detached: true, stdio: ['ignore', fd, fd], env: process.env });
  const deadline = Date.now() + 120_000;
  while (!readFileSync(logFile, 'utf8').includes('binllm worker: polling')) {
    if (child.exitCode !== null) throw new Error(`worker process exited: ${readFileSync(logFile, 'utf8')}`);
    if (Date.now() > deadline) throw new Error('worker process did not start polling within 120 s');
    await sleep(200);
  }
  return child;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try { process.kill(-child.pid!, signal); } catch { /* gone */ }
}

export const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}`;

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
