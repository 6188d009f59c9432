// `binllm sweep plan|start|status|wait|cancel`.
import { existsSync, readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { checkSpecResources, inspectInputShapes } from '../../activities/spec-resources.ts';
import { closeDb, getPool } from '../../db/client.ts';
import { planSweep } from '../../hypotheses/cells.ts';
import { CONTROL_QUEUE } from '../../hypotheses/definition.ts';
import { PRESETS } from '../../hypotheses/presets.ts';
import { formatIssues, validateSweepSpec, type SpecIssue, type SweepSpec } from '../../hypotheses/sweep-spec.ts';
import { pendingOf, type HypothesisProgress, type SweepProgress } from '../../workflows/progress.ts';
import { connectClient } from '../stack/temporal-connection.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

/** A spec argument is a JSON file, a preset name, or inline JSON. */
export function readSpecArg(arg: string): unknown {
  if (arg in PRESETS) return { preset: arg };
  if (arg.trim().startsWith('{')) return arg;
  if (!existsSync(arg)) throw new UsageError(`spec file not found: ${arg} (give a JSON file, a preset name: ${Object.keys(PRESETS).join(', ')}, or inline JSON)`);
  const text = readFileSync(arg, 'utf8');
  try { return JSON.parse(text); } catch (e) { throw new UsageError(`${arg}: not valid JSON: ${(e as Error).message}`); }
}

/** Validates a spec, fills `inputShapes` from the input files' headers (so cells the data cannot
 * run are left out, e.g. itq with m > d), and runs the host checks. */
async function resolveSpec(arg: string): Promise<{ spec: SweepSpec; warnings: SpecIssue[]; issues: SpecIssue[] }> {
  const v = validateSweepSpec(readSpecArg(arg));
  if (!v.ok) throw new UsageError(`Invalid sweep spec ${arg}:\n${formatIssues(v.issues)}`);
  const spec = v.spec;
  const { shapes } = inspectInputShapes(spec);
  for (const [h, s] of Object.entries(shapes)) spec.inputShapes[h as keyof typeof shapes] ??= s;
  return { spec, warnings: v.warnings, issues: await checkSpecResources(spec) };
}

export async function validateFully(arg: string): Promise<{ spec: SweepSpec; warnings: string[] }> {
  const { spec, warnings, issues } = await resolveSpec(arg);
  if (issues.length) throw new UsageError(`Invalid sweep spec ${arg}:\n${formatIssues(issues)}`);
  return { spec, warnings: warnings.map((w) => `${w.path}: ${w.message}`) };
}

export async function plan(arg: string): Promise<void> {
  const { spec, warnings, issues } = await resolveSpec(arg);
  const p = planSweep(spec);
  console.log(`sweep "${spec.name}": ${p.totalCells} cells, seeds ${spec.seeds.join(', ')}, GPUs ${spec.gpus.join(', ')}`);
  for (const h of p.hypotheses) {
    const queues = Object.entries(h.byQueue).map(([q, n]) => `${q}: ${n}`).join(', ');
    const what = h.kernel ? `kernel ${h.kernel}, ${h.cells} cells (${queues}), variants ${h.variants.join(', ')}`
      : `no runs of its own; derived from ${h.derivedFrom?.join(', ') || 'nothing in this sweep'}`;
    console.log(`  ${h.hypothesis}  ${what}`);
    const shape = spec.inputShapes[h.hypothesis];
    if (shape) console.log(`      input files: ${Object.entries(shape).map(([k, x]) => `${k} = ${x}`).join(', ')}`);
    for (const sk of h.skipped) console.log(`      ${sk}`);
  }
  for (const w of warnings) console.log(`warning: ${w.path}: ${w.message}`);
  for (const i of issues) console.log(`not runnable: ${i.path}: ${i.message}`);
  if (issues.length) process.exitCode = 2;
}

export async function start(arg: string, opts: { id?: string; wait?: boolean }): Promise<SweepProgress | string> {
  const { spec, warnings } = await validateFully(arg);
  for (const w of warnings) console.error(`warning: ${w}`);
  const client = await connectClient();
  const id = opts.id ?? `sweep-${spec.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}`;
  await client.workflow.start('SweepWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: id, args: [spec] });
  console.log(`started sweep ${id} (${planSweep(spec).totalCells} cells)`);
  await client.connection.close();
  if (!opts.wait) return id;
  return follow(id);
}

export function describeProgress(p: SweepProgress): string {
  const lines = [`${p.sweepId}: ${p.phase} — ${p.totals.ok + p.totals.reused}/${p.totals.total} cells done, ${p.totals.running} in flight, ${p.totals.failed} failed, ${p.totals.noWorker} without a worker`];
  for (const h of Object.values(p.hypotheses)) {
    const c = h.counts;
    lines.push(`  ${h.hypothesis} ${h.state}: ${c.ok + c.reused}/${c.total} done (${c.reused} reused), ${c.running} in flight, ${c.failed} failed, ${c.noWorker} no worker`);
    lines.push(...queueNotes(h).map((n) => `    ${n}`));
  }
  for (const v of p.verdicts ?? []) lines.push(`  verdict ${v.hypothesis}: ${v.verdict} — ${v.reason}`);
  if (p.report) lines.push(`  report: ${p.report.htmlPath}\n          ${p.report.markdownPath}`);
  return lines.join('\n');
}

/** Per-queue messages a hypothesis' progress carries: "no worker polls …", and any waits. */
function queueNotes(h: HypothesisProgress): string[] {
  const out = Object.entries(h.noWorkerQueues ?? {}).map(([q, why]) => `${q}: ${why}`);
  const queues = (h as { queues?: Record<string, { waits?: unknown }> }).queues ?? {};
  for (const [q, s] of Object.entries(queues)) {
    if (Array.isArray(s.waits)) for (const w of s.waits) if (typeof w === 'string') out.push(`${q}: ${w}`);
  }
  return out;
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

/** Finished-cell rate per hypothesis, measured while following (reused cells finish at once and are left out). */
export class EtaTracker {
  private readonly first = new Map<string, { t: number; ran: number }>();
  /** seconds until the hypothesis' remaining cells are done at the rate seen so far; null when unknown */
  eta(h: HypothesisProgress, nowMs: number): number | null {
    const c = h.counts;
    const ran = c.ok + c.failed;
    const f = this.first.get(h.hypothesis);
    if (!f) { this.first.set(h.hypothesis, { t: nowMs, ran }); return null; }
    const remaining = pendingOf(c) + c.running;
    if (remaining === 0) return 0;
    const rate = (ran - f.ran) / ((nowMs - f.t) / 1000);
    return rate > 0 ? remaining / rate : null;
  }
}

/** The live display (a terminal): one line per hypothesis with a bar, counts, elapsed and an ETA. */
export function progressPanel(p: SweepProgress, elapsedS: number, eta: EtaTracker, nowMs: number, width = 24): string[] {
  const lines = [`${p.sweepId}  ${p.phase}  elapsed ${fmtSeconds(elapsedS)}`];
  for (const h of Object.values(p.hypotheses)) {
    const c = h.counts;
    const done = c.ok + c.reused;
    const filled = c.total ? Math.round((done / c.total) * width) : 0;
    const bad = c.total ? Math.min(width - filled, Math.round(((c.failed + c.noWorker + c.cancelled) / c.total) * width)) : 0;
    const bar = '█'.repeat(filled) + 'x'.repeat(bad) + '·'.repeat(Math.max(0, width - filled - bad));
    const e = h.state === 'done' ? 0 : eta.eta(h, nowMs);
    lines.push(`  ${h.hypothesis.padEnd(3)} [${bar}] ${done}/${c.total} done${c.reused ? ` (${c.reused} reused)` : ''} · ${c.running} in flight · ${c.failed} failed${c.noWorker ? ` · ${c.noWorker} no worker` : ''} · ETA ${e === null ? '—' : fmtSeconds(e)}`);
    lines.push(...queueNotes(h).map((n) => `      ${n}`));
  }
  return lines;
}

/** Distinct reasons of the sweep's cells that produced nothing (failed, no worker, cancelled), with counts. */
export async function failureReasons(sweepId: string): Promise<Array<{ hypothesis: string; status: string; reason: string; n: number }>> {
  try {
    const r = await getPool().query(
      `SELECT hypothesis, status, coalesce(reason, '(no reason recorded)') AS reason, count(*)::int AS n
         FROM sweep_cells WHERE sweep_id = $1 AND status IN ('failed', 'no_worker', 'cancelled')
        GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC, 3`, [sweepId]);
    return r.rows as Array<{ hypothesis: string; status: string; reason: string; n: number }>;
  } finally { await closeDb(); }
}

/** Why a finished sweep is not a clean result: failed cells, or hypotheses that got no verdict. Empty when clean. */
export function problemsOf(p: SweepProgress, expected: string[]): string[] {
  const out: string[] = [];
  const t = p.totals;
  const bad = t.failed + t.noWorker + t.cancelled;
  if (bad) out.push(`${bad} of ${t.total} cells produced no result (${t.failed} failed, ${t.noWorker} no worker, ${t.cancelled} cancelled)`);
  if (p.phase !== 'completed') out.push(`the sweep ended ${p.phase}${p.message ? `: ${p.message}` : ''}`);
  const got = new Set((p.verdicts ?? []).map((v) => v.hypothesis));
  const missing = expected.filter((h) => !got.has(h));
  if (missing.length) out.push(`no verdict for ${missing.join(', ')}`);
  return out;
}

/** Follows a sweep until it closes: a live panel on a terminal, plain lines otherwise. Prints the
 * final progress; exits non-zero (process.exitCode = 1) with each distinct failure reason and its
 * count when cells failed, the sweep failed, or a hypothesis got no verdict. */
export async function follow(id: string): Promise<SweepProgress> {
  const client = await connectClient();
  const handle = client.workflow.getHandle(id);
  const tty = process.stdout.isTTY === true;
  const eta = new EtaTracker();
  let startMs = Date.now();
  try {
    const d = await handle.describe();
    startMs = d.startTime.getTime();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) { await client.connection.close(); throw new UsageError(`no sweep with id ${id}`); }
  }
  let last = '';
  let drawn = 0;
  const draw = (lines: string[]) => {
    const cols = process.stdout.columns ?? 120;
    const out = lines.map((l) => (l.length > cols - 1 ? l.slice(0, cols - 2) + '…' : l));
    process.stdout.write((drawn ? `\x1b[${drawn}F\x1b[J` : '') + out.join('\n') + '\n');
    drawn = out.length;
  };
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = async () => {
    if (stopped) return;
    try {
      const p = await handle.query<SweepProgress>('progress');
      if (stopped) return;
      if (tty) draw(progressPanel(p, (Date.now() - startMs) / 1000, eta, Date.now()));
      else {
        const line = describeProgress(p).split('\n')[0];
        if (line !== last) { console.error(line); last = line; }
      }
    } catch { /* not yet queryable */ }
  };
  // one progress query at a time: a slow one (busy worker) is never overtaken and lost track of
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    inFlight = tick().finally(() => { busy = false; });
  }, tty ? 1000 : 2000);
  // a progress query still in flight must finish before the connection closes
  const stop = async () => { stopped = true; clearInterval(timer); await inFlight; };
  let result: SweepProgress;
  try {
    result = await handle.result() as SweepProgress;
  } catch (e) {
    await stop();
    if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
    console.error(`sweep ${id} failed: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    await printFailures(id);
    process.exitCode = 1;
    await client.connection.close();
    throw new Error(`sweep ${id} did not complete`);
  } finally {
    await stop();
  }
  await client.connection.close();
  if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
  console.log(describeProgress(result));
  const problems = problemsOf(result, Object.keys(result.hypotheses));
  if (problems.length) {
    for (const pr of problems) console.error(`sweep ${id}: ${pr}`);
    await printFailures(id);
    process.exitCode = 1;
  }
  return result;
}

async function printFailures(id: string): Promise<void> {
  try {
    const reasons = await failureReasons(id);
    if (reasons.length) console.error('failure reasons (cells):');
    for (const r of reasons) console.error(`  ${String(r.n).padStart(5)} × ${r.hypothesis} ${r.status}: ${r.reason.split('\n')[0].slice(0, 400)}`);
  } catch (e) {
    console.error(`(could not read the cells' failure reasons from Postgres: ${(e as Error).message})`);
  }
}

export async function status(id: string): Promise<void> {
  const client = await connectClient();
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe();
    console.log(`workflow ${id}: ${d.status.name}`);
    try { console.log(describeProgress(await handle.query<SweepProgress>('progress'))); } catch (e) {
      console.log(`(progress query unavailable: ${(e as Error).message.split('\n')[0]}; is a worker running?)`);
    }
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw new UsageError(`no sweep with id ${id}`);
    throw e;
  } finally { await client.connection.close(); }
}

export async function cancel(id: string): Promise<void> {
  const client = await connectClient();
  try {
    await client.workflow.getHandle(id).cancel();
    console.log(`cancellation requested for ${id}; running kernels get SIGTERM`);
  } finally { await client.connection.close(); }
}
