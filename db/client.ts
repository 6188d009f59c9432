// One pg pool per process, wrapped by drizzle. Activities and the CLI share it.
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from './schema.ts';
import { resolveDatabaseUrl } from './url.ts';

export type Db = NodePgDatabase<typeof schema>;

let pool: pg.Pool | undefined;
let db: Db | undefined;

export function getPool(): pg.Pool {
  if (!pool) {
    pool = new pg.Pool({ connectionString: resolveDatabaseUrl(), max: Number(process.env.BINLLM_PG_POOL ?? 8) });
    pool.on('error', (err) => console.error(`postgres pool error: ${err.message}`));
  }
  return pool;
}

export function getDb(): Db {
  if (!db) db = drizzle(getPool(), { schema });
  return db;
}

export async function closeDb(): Promise<void> {
  const p = pool;
  pool = undefined;
  db = undefined;
  if (p) await p.end();
}
