// Resolves which Postgres to use: DATABASE_URL when set (any PostgreSQL >= 14), else the embedded
// server that `binllm up` started and described in .binllm/state/postgres.json.
import { readFileSync, existsSync } from 'node:fs';
import { statePaths } from './paths.ts';

export interface EmbeddedPgState { url: string; port: number; pid: number; dataDir: string }

export function readEmbeddedPgState(): EmbeddedPgState | undefined {
  const file = statePaths().pgState;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedPgState;
}

export function resolveDatabaseUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const state = readEmbeddedPgState();
  if (!state) {
    throw new Error(
      `No database: DATABASE_URL is not set and no embedded Postgres is running (${statePaths().pgState} missing). ` +
        'Run `./binllm up` first, or set DATABASE_URL=postgres://user:pass@host:5432/db.',
    );
  }
  return state.url;
}
