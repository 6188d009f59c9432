// The dev stack starts from a checkout whose parent folder only its owner can enter (mode 700, as
// /root or a `mktemp -d` folder), without changing that folder's permissions. As root the server
// runs as the `postgres` user, which cannot enter it: the binaries and data go where it can
// (bin/stack/pg-placement.ts). When the server cannot start, the error is one line saying why.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../db/paths.ts';
import { freePort } from '../../bin/stack/processes.ts';

// Same file system as node_modules, so the copy can be hard links (fast, no extra space).
const parent = mkdtempSync(path.join(repoRoot, '.binllm', 'private-'));
chmodSync(parent, 0o700);
const checkout = path.join(parent, 'binllm');
const isRoot = process.getuid?.() === 0;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  // the temporal CLI built once for the main checkout
  PATH: `${path.join(repoRoot, '.binllm', 'bin')}:${process.env.PATH}`,
};
for (const k of ['BINLLM_HOME', 'BINLLM_KERNEL_BUILD', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'BINLLM_READONLY_URL']) delete env[k];

function run(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(path.join(checkout, 'binllm'), args, { cwd: checkout, encoding: 'utf8', env: { ...env, ...extra }, timeout: 400_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

let dataDir: string | undefined;
after(() => {
  run(['down']);
  // the relocated cluster belongs to this throw-away checkout
  if (dataDir && !dataDir.startsWith(parent)) rmSync(dataDir, { recursive: true, force: true });
  rmSync(parent, { recursive: true, force: true });
});

test('binllm up, sql and down work from a checkout inside a folder only its owner can enter', { timeout: 600_000 }, async () => {
  execFileSync('mkdir', [checkout]);
  for (const entry of readdirSync(repoRoot)) {
    if (entry === '.binllm' || entry === '.git') continue;
    execFileSync('cp', ['-al', path.join(repoRoot, entry), checkout]);
  }
  assert.equal(statSync(parent).mode & 0o777, 0o700);
  const ports = { BINLLM_TEMPORAL_PORT: String(await freePort()), BINLLM_PG_PORT: String(await freePort()) };
  Object.assign(env, ports);

  const up = run(['up', '--no-worker', '--no-build']);
  assert.equal(up.status, 0, up.err);
  const state = JSON.parse(readFileSync(path.join(checkout, '.binllm', 'state', 'postgres.json'), 'utf8')) as { dataDir: string };
  dataDir = state.dataDir;
  if (isRoot) {
    const log = readFileSync(path.join(checkout, '.binllm', 'logs', 'postgres.log'), 'utf8');
    assert.match(log, /the postgres user cannot enter .* so the server runs from/);
    assert.ok(!state.dataDir.startsWith(parent), `data outside the closed folder: ${state.dataDir}`);
  }
  assert.equal(statSync(parent).mode & 0o777, 0o700, 'the folder\'s permissions are unchanged');
  const sql = run(['sql', 'select count(*) as sweeps from sweeps']);
  assert.equal(sql.status, 0, sql.err);
  assert.match(sql.out, /sweeps[\s\S]*\(1 row\)/);
  const status = run(['status']);
  assert.match(status.out, /postgres: 127\.0\.0\.1:\d+/);
  assert.match(status.out, /read-only SQL .*postgres:\/\/binllm_reader:/);

  // a restart reuses the cluster (its password is kept beside it)
  assert.equal(run(['down']).status, 0);
  const again = run(['up', '--no-worker', '--no-build']);
  assert.equal(again.status, 0, again.err);
  assert.equal(run(['sql', 'select 1 as one']).status, 0);
  assert.equal(run(['down']).status, 0);
});

test('when the server cannot start, one line says why and what to do', { skip: !isRoot && 'only root runs the server as another user', timeout: 300_000 }, async () => {
  if (!existsSync(checkout)) return;
  // a server folder inside the closed one: the postgres user cannot reach it
  const r = run(['up', '--no-worker', '--no-build'], { BINLLM_HOME: path.join(parent, 'home2'), BINLLM_PG_SERVER_DIR: path.join(parent, 'server'), BINLLM_PG_PORT: String(await freePort()) });
  assert.equal(r.status, 1);
  const lines = r.err.trim().split('\n');
  assert.match(lines.at(-1)!, /^binllm: embedded postgres could not start: the postgres user cannot enter .*server \(BINLLM_PG_SERVER_DIR\); choose a folder .* or set DATABASE_URL \(log: .*postgres\.log\)$/);
  run(['down'], { BINLLM_HOME: path.join(parent, 'home2') });
});
