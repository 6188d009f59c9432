// `binllm sweep plan|start|status|cancel`.
import { existsSync, readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { checkSpecResources } from '../../activities/spec-resources.ts';
import { planSweep } from '../../hypotheses/cells.ts';
import { CONTROL_QUEUE } from '../../hypotheses/definition.ts';
import { PRESETS } from '../../hypotheses/presets.ts';
import { formatIssues, validateSweepSpec, type SweepSpec } from '../../hypotheses/sweep-spec.ts';
import type { SweepProgress } from '../../workflows/progress.ts';
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

export async function validateFully(arg: string): Promise<{ spec: SweepSpec; warnings: string[] }> {
  const v = validateSweepSpec(readSpecArg(arg));
  if (!v.ok) throw new UsageError(`Invalid sweep spec ${arg}:\n${formatIssues(v.issues)}`);
  const issues = await checkSpecResources(v.spec);
  if (issues.length) throw new UsageError(`Invalid sweep spec ${arg}:\n${formatIssues(issues)}`);
  return { spec: v.spec, warnings: v.warnings.map((w) => `${w.path}: ${w.message}`) };
}

export async function plan(arg: string): Promise<void> {
  const v = validateSweepSpec(readSpecArg(arg));
  if (!v.ok) throw new UsageError(`Invalid sweep spec ${arg}:\n${formatIssues(v.issues)}`);
  const resourceIssues = await checkSpecResources(v.spec);
  const p = planSweep(v.spec);
  console.log(`sweep "${v.spec.name}": ${p.totalCells} cells, seeds ${v.spec.seeds.join(', ')}, GPUs ${v.spec.gpus.join(', ')}`);
  for (const h of p.hypotheses) {
    const queues = Object.entries(h.byQueue).map(([q, n]) => `${q}: ${n}`).join(', ');
    const what = h.kernel ? `kernel ${h.kernel}, ${h.cells} cells (${queues}), variants ${h.variants.join(', ')}`
      : `no runs of its own; derived from ${h.derivedFrom?.join(', ') || 'nothing in this sweep'}`;
    console.log(`  ${h.hypothesis}  ${what}`);
    for (const sk of h.skipped) console.log(`      ${sk}`);
  }
  for (const w of v.warnings) console.log(`warning: ${w.path}: ${w.message}`);
  for (const i of resourceIssues) console.log(`not runnable: ${i.path}: ${i.message}`);
  if (resourceIssues.length) process.exitCode = 2;
}

export async function start(arg: string, opts: { id?: string; wait?: boolean }): Promise<SweepProgress | string> {
  const { spec, warnings } = await validateFully(arg);
  for (const w of warnings) console.error(`warning: ${w}`);
  const client = await connectClient();
  const id = opts.id ?? `sweep-${spec.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}`;
  const handle = await client.workflow.start('SweepWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: id, args: [spec] });
  console.log(`started sweep ${id} (${planSweep(spec).totalCells} cells)`);
  if (!opts.wait) { await client.connection.close(); return id; }
  const result = await follow(id);
  await client.connection.close();
  return result;
}

export function describeProgress(p: SweepProgress): string {
  const lines = [`${p.sweepId}: ${p.phase} — ${p.totals.ok + p.totals.reused}/${p.totals.total} cells done, ${p.totals.running} in flight, ${p.totals.failed} failed, ${p.totals.noWorker} without a worker`];
  for (const h of Object.values(p.hypotheses)) {
    const c = h.counts;
    lines.push(`  ${h.hypothesis} ${h.state}: ${c.ok + c.reused}/${c.total} done (${c.reused} reused), ${c.running} in flight, ${c.failed} failed, ${c.noWorker} no worker`);
    for (const [q, why] of Object.entries(h.noWorkerQueues)) lines.push(`    ${q}: ${why}`);
    for (const [q, health] of Object.entries(h.queues ?? {})) for (const w of health.waits.slice(0, 3)) lines.push(`    ${q}: ${w}`);
  }
  for (const v of p.verdicts ?? []) lines.push(`  verdict ${v.hypothesis}: ${v.verdict} — ${v.reason}`);
  if (p.report) lines.push(`  report: ${p.report.htmlPath}\n          ${p.report.markdownPath}`);
  return lines.join('\n');
}

/** Prints progress until the sweep closes; returns its final progress. */
export async function follow(id: string): Promise<SweepProgress> {
  const client = await connectClient();
  const handle = client.workflow.getHandle(id);
  let last = '';
  const timer = setInterval(async () => {
    try {
      const p = await handle.query<SweepProgress>('progress');
      const line = describeProgress(p).split('\n')[0];
      if (line !== last) { console.error(line); last = line; }
    } catch { /* not yet queryable */ }
  }, 2000);
  try {
    const result = await handle.result() as SweepProgress;
    console.log(describeProgress(result));
    return result;
  } finally {
    clearInterval(timer);
    await client.connection.close();
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
