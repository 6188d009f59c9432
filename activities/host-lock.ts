// Cells that must run alone on their host (timing, energy). Every binllm worker on a host shares
// one folder (BINLLM_HOST_LOCK_DIR, default <tmpdir>/binllm-host-<uid>): each running cell holds a
// file there named by its worker's pid. An exclusive cell starts only when no other live file is
// there, and while it holds the host no other cell starts; a waiting exclusive cell leaves a
// "want" file that holds new cells back, so a stream of short cells cannot starve it. Files of
// dead processes are ignored and removed, so a killed worker never blocks its host.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export function hostLockDir(): string {
  return process.env.BINLLM_HOST_LOCK_DIR ?? path.join(os.tmpdir(), `binllm-host-${os.userInfo().uid}`);
}

interface Entry { pid: number; cellKey: string; exclusive: boolean }
export interface HostSlot {
  /** other cells running on the host when this one started */
  concurrentAtStart: number;
  /** other cells running on the host now */
  others(): number;
  release(): void;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/** The folder's critical section: mkdir is atomic; a holder that died leaves it stale after 10 s. */
async function withMutex<T>(dir: string, fn: () => T): Promise<T> {
  const m = path.join(dir, '.mutex');
  for (;;) {
    try { mkdirSync(m); break; } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try { if (Date.now() - statSync(m).mtimeMs > 10_000) rmdirSync(m); } catch { /* released meanwhile */ }
      await sleep(20);
    }
  }
  try { return fn(); } finally { rmdirSync(m); }
}

function liveEntries(dir: string, except?: string): Array<Entry & { file: string }> {
  const out: Array<Entry & { file: string }> = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f === except) continue;
    const file = path.join(dir, f);
    let e: Entry;
    try { e = JSON.parse(readFileSync(file, 'utf8')) as Entry; } catch { continue; }
    if (alive(e.pid)) out.push({ ...e, file: f });
    else rmSync(file, { force: true });
  }
  return out;
}

/**
 * Waits until the cell may start on this host and registers it. `onWait` is called while it
 * waits (an exclusive cell waits for the others to finish; others wait for an exclusive one).
 */
export async function acquireHostSlot(opts: {
  cellKey: string; exclusive: boolean; signal?: AbortSignal; onWait?: (why: string) => void;
}): Promise<HostSlot> {
  const dir = hostLockDir();
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const mine = `run-${id}.json`;
  const want = `want-${id}.json`;
  const body = JSON.stringify({ pid: process.pid, cellKey: opts.cellKey, exclusive: opts.exclusive } satisfies Entry);
  try {
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      const got = await withMutex(dir, () => {
        const others = liveEntries(dir, want).filter((e) => e.file !== mine);
        const running = others.filter((e) => e.file.startsWith('run-'));
        const blocker = opts.exclusive
          ? running[0]
          : others.find((e) => e.exclusive); // an exclusive cell running or waiting
        if (blocker) {
          if (opts.exclusive) writeFileSync(path.join(dir, want), body);
          return { blocker };
        }
        writeFileSync(path.join(dir, mine), body);
        return { concurrent: running.length };
      });
      if ('concurrent' in got) {
        return {
          concurrentAtStart: got.concurrent!,
          others: () => liveEntries(dir, mine).filter((e) => e.file.startsWith('run-')).length,
          release: () => rmSync(path.join(dir, mine), { force: true }),
        };
      }
      opts.onWait?.(opts.exclusive
        ? `waiting for the host: this cell runs alone, cell ${got.blocker!.cellKey} still runs here`
        : `waiting for the host: cell ${got.blocker!.cellKey} runs alone here`);
      await sleep(500);
    }
  } finally {
    rmSync(path.join(dir, want), { force: true });
  }
}
