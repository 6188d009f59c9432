// `binllm demo`: the main job on a fresh machine — bring the stack up (building what is missing),
// run the quick preset (H1–H6 on the CPU) through Temporal, and point at the report.
import { readTemporalState } from '../stack/temporal.ts';
import { up } from './stack.ts';
import { start } from './sweep.ts';
import type { SweepProgress } from '../../workflows/progress.ts';

export async function demo(opts: { spec: string }): Promise<void> {
  await up({ worker: true, build: true });
  const id = `demo-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}`;
  const result = await start(opts.spec, { id, wait: true }) as SweepProgress;
  const ui = readTemporalState()?.uiUrl ?? '(TEMPORAL_ADDRESS)';
  console.log(`
demo sweep ${id} ${result.phase}.
  report (HTML):     ${result.report?.htmlPath ?? '(not rendered)'}
  report (Markdown): ${result.report?.markdownPath ?? '(not rendered)'}
  Temporal UI:       ${ui}/namespaces/default/workflows/${id}
  SQL console:       ./binllm sql "select hypothesis, variant, metric, count(*), avg(value) from metric_rows where sweep_id = '${id}' group by 1,2,3 order by 1,2,3"
  stop the stack:    ./binllm down   (data stays in .binllm/)`);
}
