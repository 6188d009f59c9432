// Spawns one kernel run (execa, argument array, never a shell), streams and validates its JSONL
// events, and turns its exit into an outcome the cell activity maps to retry / no-retry.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { execa } from 'execa';
import { KernelContractError, parseEventLine, type MetricEventT, type StartEventT, type ValuesEventT } from './kernel-events.ts';

export interface KernelRunInput {
  exe: string;
  config: Record<string, unknown>;
  runDir: string;
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export type KernelOutcome =
  | { kind: 'ok'; start: StartEventT; metrics: MetricEventT[]; values: ValuesEventT[]; elapsedS: number }
  | { kind: 'bad-config'; message: string; stderrTail: string }
  | { kind: 'resource-missing'; message: string; stderrTail: string }
  | { kind: 'crashed'; message: string; stderrTail: string }
  | { kind: 'contract-violation'; message: string; stderrTail: string }
  | { kind: 'cancelled'; stderrTail: string };

const STDERR_TAIL = 4000;

export type KernelOk = Extract<KernelOutcome, { kind: 'ok' }>;

/**
 * Runs the kernel once. Each launch is appended to `launches.jsonl` in the run folder (when, by
 * whom, which attempt), so a cell's history of kernel runs can be read back on its host.
 */
export async function runKernelProcess(input: KernelRunInput & { launch?: Record<string, unknown> }): Promise<KernelOutcome> {
  mkdirSync(input.runDir, { recursive: true });
  appendFileSync(path.join(input.runDir, 'launches.jsonl'), JSON.stringify({ at: new Date().toISOString(), pid: process.pid, ...input.launch }) + '\n');
  const configFile = path.join(input.runDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(input.config, null, 2));
  const stderrLog = createWriteStream(path.join(input.runDir, 'stderr.log'));
  let stderrTail = '';

  const child = execa(input.exe, ['run', '--config', configFile], {
    cancelSignal: input.signal,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 5000, // KERNELS.md: SIGTERM ends a kernel within 5 s; then SIGKILL
    buffer: false,
    reject: false,
    stdin: 'ignore',
    cleanup: true,
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrLog.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });

  let start: StartEventT | undefined;
  let endEvent: { status: 'ok' | 'error'; elapsed_s?: number; message?: string } | undefined;
  const metrics: MetricEventT[] = [];
  const values: ValuesEventT[] = [];
  let violation: string | undefined;
  let lineNo = 0;
  const rl = readline.createInterface({ input: child.stdout!, crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (!line.trim() || violation) continue;
    try {
      const ev = parseEventLine(line, lineNo);
      if (ev.event === 'start') start = ev;
      else if (ev.event === 'progress') input.onProgress?.(ev);
      else if (ev.event === 'metric') metrics.push(ev);
      else if (ev.event === 'values') values.push(ev);
      else endEvent = ev;
    } catch (e) {
      if (!(e instanceof KernelContractError)) throw e;
      violation = e.message;
      child.kill('SIGTERM');
    }
  }
  const result = await child;
  await new Promise<void>((r) => stderrLog.end(r));
  const tail = stderrTail.trim();
  const lastLine = tail.split('\n').filter(Boolean).pop() ?? '';

  if (result.isCanceled) return { kind: 'cancelled', stderrTail: tail };
  if (violation) return { kind: 'contract-violation', message: violation, stderrTail: tail };
  if (result.exitCode === 2) return { kind: 'bad-config', message: endEvent?.message ?? lastLine ?? 'bad config (exit 2)', stderrTail: tail };
  if (result.exitCode === 3) return { kind: 'resource-missing', message: endEvent?.message ?? lastLine ?? 'resource missing (exit 3)', stderrTail: tail };
  if (result.exitCode !== 0 || result.signal) {
    const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
    return { kind: 'crashed', message: `kernel crashed (${how})${lastLine ? ': ' + lastLine : ''}`, stderrTail: tail };
  }
  if (!start) return { kind: 'contract-violation', message: 'kernel exited 0 without a start event', stderrTail: tail };
  if (!endEvent) return { kind: 'crashed', message: 'kernel exited 0 without an end event', stderrTail: tail };
  if (endEvent.status !== 'ok') return { kind: 'contract-violation', message: `kernel exited 0 with end status "error": ${endEvent.message ?? ''}`, stderrTail: tail };
  return { kind: 'ok', start, metrics, values, elapsedS: endEvent.elapsed_s ?? 0 };
}

// A kernel's validated output waits in its run folder until Postgres has it: a kernel that
// finished while the database was away (or whose worker lost Temporal) is committed by the
// retry instead of being run again. Written atomically; removed once committed.
interface PendingResult { cellKey: string; kernelVersion: string; outcome: KernelOk }

const pendingFile = (runDir: string) => path.join(runDir, 'result.pending.json');

export function savePendingResult(runDir: string, r: PendingResult): void {
  mkdirSync(runDir, { recursive: true });
  const tmp = `${pendingFile(runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(r));
  renameSync(tmp, pendingFile(runDir));
}

/** The finished, uncommitted output of this cell on this host, if there is one. */
export function loadPendingResult(runDir: string, cellKey: string, kernelVersion: string): KernelOk | undefined {
  if (!existsSync(pendingFile(runDir))) return undefined;
  try {
    const r = JSON.parse(readFileSync(pendingFile(runDir), 'utf8')) as PendingResult;
    return r.cellKey === cellKey && r.kernelVersion === kernelVersion && r.outcome?.kind === 'ok' ? r.outcome : undefined;
  } catch { return undefined; }
}

export function clearPendingResult(runDir: string): void { rmSync(pendingFile(runDir), { force: true }); }
