// The sweep report: load (Postgres → ReportData) and two pure renderers (ReportData → string).
// activities/report.ts writes the files and stores them; `binllm report <sweep-id>` calls it.
export type * from './types.ts';
export { loadReportData, type Queryable } from './load.ts';
export { renderMarkdown } from './render-markdown.ts';
export { renderHtml } from './render-html.ts';
export { queries, inlineSql } from './sql.ts';
