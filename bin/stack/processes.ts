// Small helpers for the background services the dev stack runs: pid liveness, waiting for a TCP
// port, stopping a detached process group.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../db/paths.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, hint = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}.${hint ? ' ' + hint : ''}`);
}

/** SIGTERM the process group, then SIGKILL whatever is left after graceMs. */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* already gone */ } }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** `--import` argument that loads tsx from this checkout, whatever the current directory. */
export function tsxImportArg(): string {
  return pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
}

/** Node flags for a worker process: a small V8 heap keeps a long sweep's worker RSS flat (V8
 * otherwise grows its heap lazily towards a limit sized for the whole machine).
 * BINLLM_WORKER_HEAP_MB overrides the old-space limit (default 192 MB). */
export function workerNodeFlags(): string[] {
  return [`--max-old-space-size=${Number(process.env.BINLLM_WORKER_HEAP_MB ?? 192)}`, '--max-semi-space-size=4'];
}

/** Absolute path of a command on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
