// Workers on other machines: each "host" is a network namespace of its own, joined to this one by
// a veth pair with private addresses (10.77.x.0/24), with its own BINLLM_HOME and nothing set but
// DATABASE_URL and TEMPORAL_ADDRESS (plus the shared kernel build folder, as a host with the
// kernels built would have). The dev stack runs here, bound with `binllm up --listen` to the first
// veth's host address, so the hosts reach Temporal and Postgres over the veth, not loopback (their
// loopback is their own). The control worker runs on one host, cell workers for binllm-cpu and
// binllm-h100 (the noop kernel runs on the CPU there) on two others; a second h100 host takes
// over when the first is killed mid-sweep. Namespaces and links are removed even on failure.
// Needs root (CAP_SYS_ADMIN) and iproute2; skipped with a message when namespaces cannot be made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { repoRoot } from '../../db/paths.ts';
import { freePort, tsxImportArg, workerNodeFlags } from '../../bin/stack/processes.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

const tag = String(process.pid % 10000);
const subnet = 10 + ((process.pid % 50) * 4); // 10.77.<subnet+i>.0/24, i = 0..3
const HOSTS = ['ctl', 'cpu', 'h1', 'h2'] as const;
type Host = (typeof HOSTS)[number];
const ns = (h: Host) => `binllm-${tag}-${h}`;
const hostIf = (i: number) => `bl${tag}h${i}`;
const hostIp = (i: number) => `10.77.${subnet + i}.1`;
const nsIp = (i: number) => `10.77.${subnet + i}.2`;
const serviceIp = hostIp(0);

const cli = path.join(repoRoot, 'bin', 'cli.ts');
const kernelBuild = process.env.BINLLM_KERNEL_BUILD ?? path.join(repoRoot, '.binllm', 'build', 'kernels');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'binllm-hosts-'));
const stackEnv: NodeJS.ProcessEnv = { ...process.env, BINLLM_HOME: path.join(scratch, 'stack'), TEMPORAL_ADDRESS: '', DATABASE_URL: '' };
delete stackEnv.TEMPORAL_ADDRESS;
delete stackEnv.DATABASE_URL;

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
function must(r: ReturnType<typeof ip>, what: string) {
  if (r.status !== 0) throw new Error(`${what}: ${r.stderr || r.error?.message}`);
}

/** Why namespaces cannot be used here, or undefined when they can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  const v = ip('-V');
  if (v.error) return 'iproute2 (`ip`) is not installed (apt-get install iproute2; .ci/run installs it)';
  const probe = `binllm-${tag}-probe`;
  const r = ip('netns', 'add', probe);
  if (r.status !== 0) return `cannot create a network namespace (needs root / CAP_SYS_ADMIN): ${r.stderr.trim()}`;
  ip('netns', 'del', probe);
  return undefined;
}

function cleanupNetwork(): void {
  HOSTS.forEach((h, i) => {
    ip('netns', 'del', ns(h));
    ip('link', 'del', hostIf(i)); // normally gone with its namespace
  });
}

function setupNetwork(): void {
  cleanupNetwork();
  HOSTS.forEach((h, i) => {
    const inNs = (...a: string[]) => must(ip('-n', ns(h), ...a), `${ns(h)}: ip ${a.join(' ')}`);
    must(ip('netns', 'add', ns(h)), `ip netns add ${ns(h)}`);
    must(ip('link', 'add', hostIf(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(h)), 'veth');
    must(ip('addr', 'add', `${hostIp(i)}/24`, 'dev', hostIf(i)), 'host address');
    must(ip('link', 'set', hostIf(i), 'up'), 'host link up');
    inNs('addr', 'add', `${nsIp(i)}/24`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
    inNs('link', 'set', 'lo', 'up');
    // the services' address is on another veth of this host: reach it through this host end
    if (i > 0) inNs('route', 'add', `${serviceIp}/32`, 'via', hostIp(i));
  });
}

function binllm(args: string[], env = stackEnv, timeout = 300_000) {
  const r = spawnSync(process.execPath, ['--import', tsxImportArg(), cli, ...args], { encoding: 'utf8', env, timeout });
  if (r.status !== 0) throw new Error(`binllm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

let remote: { DATABASE_URL: string; TEMPORAL_ADDRESS: string };

/** Starts a sweep; a refusal carries the server's reason (the client's message alone does not). */
async function startSweep(id: string, spec: unknown) {
  try {
    return await client.workflow.start('SweepWorkflow', { taskQueue: 'binllm', workflowId: id, args: [spec] });
  } catch (e) {
    throw new Error(`starting ${id}: ${(e as Error).message}: ${String((e as { cause?: unknown }).cause)}`);
  }
}
const workers = new Map<string, ChildProcess>();

/** A worker on host h: only its own BINLLM_HOME, DATABASE_URL and TEMPORAL_ADDRESS. */
async function startWorker(h: Host, name: string, args: string[]): Promise<ChildProcess> {
  const home = path.join(scratch, `host-${name}`);
  mkdirSync(path.join(home, 'logs'), { recursive: true });
  const logFile = path.join(home, 'logs', 'worker.log');
  const fd = openSync(logFile, 'w');
  if (args.includes('h100')) cpuNoop(home);
  const env = {
    PATH: process.env.PATH!, HOME: home, BINLLM_HOME: home, BINLLM_KERNEL_BUILD: kernelBuild,
    DATABASE_URL: remote.DATABASE_URL, TEMPORAL_ADDRESS: remote.TEMPORAL_ADDRESS,
  };
  const child = spawn('ip', ['netns', 'exec', ns(h), process.execPath, ...workerNodeFlags(), '--import', tsxImportArg(), cli, 'worker', ...args],
    { detached: true, stdio: ['ignore', fd, fd], env });
  workers.set(name, child);
  const deadline = Date.now() + 180_000;
  while (!readFileSync(logFile, 'utf8').includes('binllm worker: polling')) {
    if (child.exitCode !== null) throw new Error(`worker ${name} exited: ${readFileSync(logFile, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`worker ${name} did not start polling within 180 s: ${readFileSync(logFile, 'utf8')}`);
    await sleep(250);
  }
  return child;
}

/** There is no GPU here: the h100 hosts register a noop that runs on the CPU whatever device the
 * worker asks for (a kernels.json entry overrides the built kernel of the same name). */
function cpuNoop(home: string): void {
  const wrapper = path.join(home, 'noop-on-cpu.sh');
  const noop = path.join(kernelBuild, 'bin', 'binllm-noop');
  writeFileSync(wrapper, `#!/bin/sh
if [ "$1" = run ] && [ "$2" = --config ]; then
  sed 's/"device": *"[^"]*"/"device":"cpu"/' "$3" > "$3.cpu" && exec ${JSON.stringify(noop)} run --config "$3.cpu"
fi
exec ${JSON.stringify(noop)} "$@"
`, { mode: 0o755 });
  writeFileSync(path.join(home, 'kernels.json'), JSON.stringify({ noop: wrapper }));
}

function kill(child: ChildProcess | undefined, sig: NodeJS.Signals = 'SIGKILL') {
  if (!child?.pid) return;
  try { process.kill(-child.pid, sig); } catch { /* gone */ }
}

const why = unavailable();
let db: pg.Pool;
let stackDataDir: string | undefined;
let client: Client;

before(async () => {
  if (why) return;
  setupNetwork();
  stackEnv.BINLLM_TEMPORAL_PORT = String(await freePort());
  stackEnv.BINLLM_PG_PORT = String(await freePort());
  binllm(['up', '--listen', serviceIp, '--no-worker', '--no-build']);
  const line = binllm(['status']).split('\n').find((l) => l.startsWith('other hosts:'));
  assert.ok(line, 'binllm status prints what other hosts set');
  remote = {
    DATABASE_URL: line.match(/DATABASE_URL=(\S+)/)![1],
    TEMPORAL_ADDRESS: line.match(/TEMPORAL_ADDRESS=(\S+)/)![1],
  };
  assert.equal(new URL(remote.DATABASE_URL).hostname, serviceIp);
  assert.equal(remote.TEMPORAL_ADDRESS.split(':')[0], serviceIp);
  // as root the cluster of this mode-700 scratch home lives in /var/lib/binllm: removed in after()
  stackDataDir = (JSON.parse(readFileSync(path.join(scratch, 'stack', 'state', 'postgres.json'), 'utf8')) as { dataDir: string }).dataDir;
  db = new pg.Pool({ connectionString: remote.DATABASE_URL, max: 2 });
  client = new Client({ connection: await Connection.connect({ address: remote.TEMPORAL_ADDRESS }) });
}, { timeout: 600_000 });

after(async () => {
  for (const w of workers.values()) kill(w);
  await client?.connection.close().catch(() => undefined);
  await db?.end().catch(() => undefined);
  if (!why) {
    try { binllm(['down']); } catch (e) { console.error(String(e)); }
    cleanupNetwork();
    if (stackDataDir && !stackDataDir.startsWith(scratch)) rmSync(stackDataDir, { recursive: true, force: true });
  }
  rmSync(scratch, { recursive: true, force: true });
});

const s0 = Date.now() % 1_000_000_000;

const statuses = async (id: string) => (await db.query('select gpu, seed, status, reason from sweep_cells where sweep_id = $1 order by gpu, seed', [id])).rows;

async function cellsOnce(id: string, expected: number) {
  const [c] = (await db.query(
    `select count(*)::int as cells, count(distinct s.cell_key)::int as keys,
            count(*) filter (where s.status in ('ok', 'reused'))::int as ok,
            (select count(*)::int from runs r where r.cell_key in (select cell_key from sweep_cells where sweep_id = $1) and r.status = 'ok') as runs_ok
     from sweep_cells s where s.sweep_id = $1`, [id])).rows;
  assert.deepEqual(c, { cells: expected, keys: expected, ok: expected, runs_ok: expected });
}

test('workers on three other hosts run a sweep over two queues; a killed host\'s cells move to another host', { skip: why, timeout: 900_000 }, async (t) => {
  // the control worker's own cell queue (a100) is one the sweeps never use
  await startWorker('ctl', 'ctl', ['--gpu', 'a100']);
  await startWorker('cpu', 'cpu', ['--gpu', 'cpu', '--no-control', '--concurrency', '2']);
  await startWorker('h1', 'h1', ['--gpu', 'h100', '--no-control']);

  await t.test('a sweep completes with every cell once, each queue served by its host', async () => {
    const id = `hosts-${tag}-${s0}-a`;
    const spec = { name: 'hosts', hypotheses: ['H0'], seeds: [s0, s0 + 1, s0 + 2], gpus: ['cpu', 'h100'], params: { H0: { metrics: 2, sleep_ms: 200 } }, report: false };
    const res = await (await startSweep(id, spec)).result() as SweepProgress;
    assert.equal(res.phase, 'completed');
    assert.equal(res.totals.ok, 6, JSON.stringify(await statuses(id))); // 3 seeds × 2 queues (H0's one default variant)
    await cellsOnce(id, 6);
    const byGpu = (await db.query(`select r.gpu, array_agg(distinct r.worker) as workers from sweep_cells s join runs r on r.cell_key = s.cell_key
      where s.sweep_id = $1 group by r.gpu order by r.gpu`, [id])).rows as Array<{ gpu: string; workers: string[] }>;
    assert.deepEqual(byGpu.map((r) => r.gpu), ['cpu', 'h100']);
    // a worker's identity ends with its queue's gpu and its slot count: "vm-123-h100 [1 slot]"
    assert.ok(byGpu[0].workers.every((w) => /-cpu \[\d+ slots?\]$/.test(w)), JSON.stringify(byGpu));
    assert.ok(byGpu[1].workers.every((w) => /-h100 \[\d+ slots?\]$/.test(w)), JSON.stringify(byGpu));
  });

  await t.test('kill -9 of the h100 host mid-sweep: a second h100 host takes its cells; every cell once', async () => {
    const id = `hosts-${tag}-${s0}-b`;
    const seeds = Array.from({ length: 4 }, (_, i) => s0 + 100 + i);
    const spec = {
      name: 'hosts-kill', hypotheses: ['H0'], seeds, gpus: ['cpu', 'h100'], params: { H0: { metrics: 2, sleep_ms: 3000 } }, report: false,
      timeouts: { heartbeatSeconds: 5 },
    };
    const handle = await startSweep(id, spec);
    const first = workers.get('h1')!;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const [r] = (await db.query(`select count(*)::int as n from sweep_cells s join runs r on r.cell_key = s.cell_key
        where s.sweep_id = $1 and r.gpu = 'h100' and r.status = 'ok'`, [id])).rows as Array<{ n: number }>;
      if (r.n >= 1) break;
      assert.ok(Date.now() < deadline, `an h100 cell finished on the first host: ${JSON.stringify(await statuses(id))}`);
      await sleep(250);
    }
    kill(first); // the host's worker and its kernel die at once, as in a crash
    const second = await startWorker('h2', 'h2', ['--gpu', 'h100', '--no-control']);
    const res = await handle.result() as SweepProgress;
    assert.equal(res.phase, 'completed');
    assert.equal(res.totals.ok + res.totals.reused, 8, JSON.stringify(await statuses(id)));
    await cellsOnce(id, 8);
    const h100 = (await db.query(`select distinct r.worker from sweep_cells s join runs r on r.cell_key = s.cell_key
      where s.sweep_id = $1 and r.gpu = 'h100' and r.status = 'ok'`, [id])).rows.map((r: { worker: string }) => r.worker);
    assert.ok(h100.some((w) => w.includes(`-${first.pid}-`)) && h100.some((w) => w.includes(`-${second.pid}-`)),
      `h100 cells ran on both hosts: ${h100.join(', ')}`);
  });
});
