// `binllm report <sweep-id>`: re-renders a sweep's report from Postgres.
import { renderSweepReport } from '../../activities/report.ts';
import { closeDb } from '../../db/client.ts';

export async function report(sweepId: string, opts: { out?: string; reanalyse?: boolean }): Promise<void> {
  try {
    if (opts.reanalyse) {
      const { analyzeSweep } = await import('../../activities/analyze.ts');
      for (const v of (await analyzeSweep({ sweepId })).verdicts) console.error(`${v.hypothesis}: ${v.verdict} — ${v.reason}`);
    }
    const r = await renderSweepReport({ sweepId, outDir: opts.out });
    console.log(`${r.htmlPath}\n${r.markdownPath}`);
  } finally { await closeDb(); }
}
