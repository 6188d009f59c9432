// The renderSweepReport activity (also called by `binllm report <sweep-id>`): loads the sweep from
// Postgres, renders the Markdown and the self-contained HTML report, writes both to a folder and
// upserts both into the `reports` table. Re-running it replaces the previous report.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { statePaths } from '../db/paths.ts';
import { reports } from '../db/schema.ts';
import { loadReportData } from '../reports/load.ts';
import { renderHtml } from '../reports/render-html.ts';
import { renderMarkdown } from '../reports/render-markdown.ts';

/** finalStatus: the status the sweep gets once the report is written (the workflow renders the
 * report before it marks the sweep finished, and the report must not call a completed sweep partial). */
export interface RenderSweepReportInput { sweepId: string; outDir?: string; finalStatus?: 'completed' }
export interface RenderSweepReportResult { markdownPath: string; htmlPath: string }

/** A sweep id as a single folder name (no separators, never "." or ".."). */
export function reportDirName(sweepId: string): string {
  const safe = sweepId.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || /^\.+$/.test(safe) ? `sweep_${Buffer.from(sweepId).toString('hex') || 'empty'}` : safe;
}

export async function renderSweepReport(input: RenderSweepReportInput): Promise<RenderSweepReportResult> {
  const loaded = await loadReportData(input.sweepId);
  const data = input.finalStatus
    ? { ...loaded, sweep: { ...loaded.sweep, status: input.finalStatus, finishedAt: loaded.sweep.finishedAt ?? loaded.generatedAt } }
    : loaded;
  const markdown = renderMarkdown(data);
  const html = renderHtml(data);
  const dir = path.resolve(input.outDir ?? path.join(statePaths().reports, reportDirName(input.sweepId)));
  await mkdir(dir, { recursive: true });
  const markdownPath = path.join(dir, 'report.md');
  const htmlPath = path.join(dir, 'report.html');
  await Promise.all([writeFile(markdownPath, markdown, 'utf8'), writeFile(htmlPath, html, 'utf8')]);
  await getDb().insert(reports).values([
    { sweepId: input.sweepId, format: 'md', content: markdown, path: markdownPath },
    { sweepId: input.sweepId, format: 'html', content: html, path: htmlPath },
  ]).onConflictDoUpdate({
    target: [reports.sweepId, reports.format],
    set: { content: sql`excluded.content`, path: sql`excluded.path`, createdAt: sql`now()` },
  });
  return { markdownPath, htmlPath };
}
