// Starts and stops the embedded PostgreSQL daemon (postgres-daemon.ts) and applies migrations.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
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

/** The daemon's one-line diagnosis (`binllm-pg-error: …`) from this start's part of the log. */
function startError(log: string, from: number): string | undefined {
  const text = readFileSync(log, 'utf8').slice(from);
  return text.split('\n').reverse().find((l) => l.startsWith('binllm-pg-error: '))?.slice('binllm-pg-error: '.length);
}

/** Starts the embedded server on 127.0.0.1:port, and on the `listen` addresses too (`binllm up --listen`). */
export async function startEmbeddedPg(port = Number(process.env.BINLLM_PG_PORT ?? 5433), listen: string[] = []): Promise<EmbeddedPgState> {
  const running = runningEmbeddedPg();
  if (running) return running;
  const paths = statePaths();
  rmSync(paths.pgState, { force: true });
  if (await portOpen(port)) throw new Error(`Port ${port} is in use; set BINLLM_PG_PORT to another port or DATABASE_URL to use that server.`);
  mkdirSync(paths.logs, { recursive: true });
  const log = path.join(paths.logs, 'postgres.log');
  const fd = openSync(log, 'a');
  const from = readFileSync(log, 'utf8').length;
  const child = spawn(process.execPath, ['--import', tsxImportArg(), daemon, String(port), listen.join(',')], {
    detached: true, stdio: ['ignore', fd, fd], env: process.env,
  });
  child.unref();
  await waitFor('the embedded PostgreSQL', () => {
    if (!isAlive(child.pid) || child.exitCode !== null) {
      throw new Error(`embedded postgres could not start: ${startError(log, from) ?? 'it exited at start'} (log: ${log})`);
    }
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
