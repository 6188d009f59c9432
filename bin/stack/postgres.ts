// Starts and stops the embedded PostgreSQL daemon (postgres-daemon.ts) and applies migrations.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { statePaths } from '../../db/paths.ts';
import { readEmbeddedPgState, type EmbeddedPgState } from '../../db/url.ts';
import { isAlive, portOpen, stopProcessGroup, tsxImportArg, waitFor } from './processes.ts';

const daemon = path.join(path.dirname(fileURLToPath(import.meta.url)), 'postgres-daemon.ts');

export function runningEmbeddedPg(): EmbeddedPgState | undefined {
  const s = readEmbeddedPgState();
  return s && isAlive(s.pid) ? s : undefined;
}

export async function startEmbeddedPg(port = Number(process.env.BINLLM_PG_PORT ?? 5433)): Promise<EmbeddedPgState> {
  const running = runningEmbeddedPg();
  if (running) return running;
  const paths = statePaths();
  rmSync(paths.pgState, { force: true });
  if (await portOpen(port)) throw new Error(`Port ${port} is in use; set BINLLM_PG_PORT to another port or DATABASE_URL to use that server.`);
  mkdirSync(paths.logs, { recursive: true });
  const log = path.join(paths.logs, 'postgres.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', tsxImportArg(), daemon, String(port)], {
    detached: true, stdio: ['ignore', fd, fd], env: process.env,
  });
  child.unref();
  await waitFor('the embedded PostgreSQL', () => {
    if (!isAlive(child.pid)) throw new Error(`embedded postgres exited at start; see ${log}`);
    return runningEmbeddedPg() !== undefined;
  }, 180_000, `See ${log}.`);
  return runningEmbeddedPg()!;
}

export async function stopEmbeddedPg(): Promise<boolean> {
  const s = runningEmbeddedPg();
  if (!s) return false;
  await stopProcessGroup(s.pid, 30_000);
  return true;
}
