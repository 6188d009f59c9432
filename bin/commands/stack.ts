// `binllm up` / `down` / `status`: the dev stack (Temporal dev server, embedded Postgres, and a
// background worker), data left in place between runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '../../db/migrate.ts';
import { closeDb } from '../../db/client.ts';
import { ensureReadOnlyRole, readOnlyUrl } from '../../db/readonly.ts';
import { statePaths } from '../../db/paths.ts';
import { startEmbeddedPg, stopEmbeddedPg, runningEmbeddedPg } from '../stack/postgres.ts';
import { readTemporalState, SEARCH_ATTRIBUTES, startTemporalDevServer, stopTemporalDevServer } from '../stack/temporal.ts';
import { connectClient } from '../stack/temporal-connection.ts';
import { buildKernels } from '../stack/kernels.ts';
import { isAlive, stopProcessGroup, tsxImportArg, waitFor, workerNodeFlags } from '../stack/processes.ts';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.ts');
const workerState = () => path.join(statePaths().state, 'worker.json');

/** listen: also bind Temporal and Postgres to this address, for workers on other hosts (`--listen`). */
export interface UpOptions { worker: boolean; build: boolean; quiet?: boolean; listen?: string }

export async function up(opts: UpOptions): Promise<void> {
  const log = (s: string) => { if (!opts.quiet) console.error(s); };
  if (opts.build) { log('building kernels…'); buildKernels({ quiet: true }); }
  if (!process.env.TEMPORAL_ADDRESS) {
    const t = await startTemporalDevServer({ port: Number(process.env.BINLLM_TEMPORAL_PORT ?? 7233), listen: opts.listen });
    log(`temporal dev server: ${t.address} (UI ${t.uiUrl})`);
  } else {
    await registerSearchAttributes();
  }
  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPg(undefined, opts.listen ? [opts.listen] : []);
    log(`embedded postgres: 127.0.0.1:${pg.port} (data in ${pg.dataDir})`);
  }
  await applyMigrations();
  await closeDb();
  const reader = await ensureReadOnlyRole();
  if ('hint' in reader) console.error(`binllm: ${reader.hint}`);
  if (opts.worker) await startBackgroundWorker(log);
  const remote = remoteWorkerEnv();
  if (remote) log(`workers on other hosts: ${remote} binllm worker --gpu <gpu> --no-control`);
}

/** What a worker on another host sets to reach this stack (`binllm up --listen`), or undefined. */
export function remoteWorkerEnv(): string | undefined {
  const t = readTemporalState();
  const p = runningEmbeddedPg();
  if (!t?.listen || !p) return undefined;
  const host = t.listen === '0.0.0.0' || t.listen === '*' ? '<this host>' : t.listen;
  const url = new URL(p.url);
  url.hostname = host;
  return `DATABASE_URL=${url.toString()} TEMPORAL_ADDRESS=${host}:${t.address.split(':').pop()}`;
}

/** On a real cluster the search attributes must be registered once; the dev server gets them as flags. */
async function registerSearchAttributes(): Promise<void> {
  const client = await connectClient();
  const ns = client.options.namespace;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace: ns });
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([k]) => !(k in (existing.customAttributes ?? {})));
  if (missing.length) {
    const types: Record<string, number> = { Keyword: 2, KeywordList: 7 };
    await client.connection.operatorService.addSearchAttributes({
      namespace: ns, searchAttributes: Object.fromEntries(missing.map(([k, v]) => [k, types[v]])),
    });
  }
  await client.connection.close();
}

export function runningWorker(): { pid: number } | undefined {
  if (!existsSync(workerState())) return undefined;
  const s = JSON.parse(readFileSync(workerState(), 'utf8')) as { pid: number };
  return isAlive(s.pid) ? s : undefined;
}

async function startBackgroundWorker(log: (s: string) => void): Promise<void> {
  if (runningWorker()) return;
  mkdirSync(statePaths().logs, { recursive: true });
  const logFile = path.join(statePaths().logs, 'worker.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...workerNodeFlags(), '--import', tsxImportArg(), cli, 'worker', '--gpu', 'auto'], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  writeFileSync(workerState(), JSON.stringify({ pid: child.pid }));
  await waitFor('the worker to start polling', () => {
    if (!isAlive(child.pid)) throw new Error(`the worker exited at start; see ${logFile}`);
    return readFileSync(logFile, 'utf8').includes('binllm worker: polling');
  }, 120_000, `See ${logFile}.`);
  log(`worker: pid ${child.pid} (log ${logFile})`);
}

export async function down(): Promise<void> {
  const w = runningWorker();
  if (w) await stopProcessGroup(w.pid, 15_000);
  rmSync(workerState(), { force: true });
  const t = await stopTemporalDevServer();
  const p = await stopEmbeddedPg();
  console.error(`stopped: worker ${w ? 'yes' : 'not running'}, temporal ${t ? 'yes' : 'not running'}, postgres ${p ? 'yes' : 'not running'}; data kept in ${statePaths().home}`);
}

export function status(): void {
  const t = readTemporalState();
  const p = runningEmbeddedPg();
  const w = runningWorker();
  console.log(`temporal: ${process.env.TEMPORAL_ADDRESS ? process.env.TEMPORAL_ADDRESS + ' (TEMPORAL_ADDRESS)' : t ? `${t.address}, UI ${t.uiUrl}` : 'not running'}`);
  console.log(`postgres: ${process.env.DATABASE_URL ? 'DATABASE_URL' : p ? `127.0.0.1:${p.port}` : 'not running'}`);
  console.log(`worker:   ${w ? `pid ${w.pid}` : 'not running'}`);
  if (process.env.DATABASE_URL || p) {
    let ro: string;
    try { ro = readOnlyUrl(); } catch (e) { ro = (e as Error).message; }
    console.log(`read-only SQL (psql, pandas, Grafana): ${ro}`);
  }
  const remote = remoteWorkerEnv();
  if (remote) console.log(`other hosts:  ${remote}`);
}
