// `binllm report <sweep-id>`: re-renders a sweep's report from Postgres.
import { renderSweepReport } from '../../activities/report.ts';
import { closeDb } from '../../db/client.ts';

export async function report(sweepId: string, opts: { out?: string }): Promise<void> {
  try {
    const r = await renderSweepReport({ sweepId, outDir: opts.out });
    console.log(`${r.htmlPath}\n${r.markdownPath}`);
  } finally { await closeDb(); }
}
