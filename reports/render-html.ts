// ReportData → one self-contained HTML file: inline CSS and inline SVG, no scripts, no external
// requests (a Content-Security-Policy meta tag forbids them, too).
import { buildReport } from './build.ts';
import type { Block, Inline } from './document.ts';
import { escapeHtml } from './escape.ts';
import { REPORT_CSS } from './html-style.ts';
import type { ReportData } from './types.ts';

export function inlineHtml(parts: Inline[]): string {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'string') { s += escapeHtml(p); continue; }
    if (!p.text) continue;
    let t = escapeHtml(p.text);
    if (p.code) t = `<code>${t}</code>`;
    if (p.href) t = `<a href="${escapeHtml(p.href)}">${t}</a>`;
    if (p.badge) t = `<span class="badge badge-${p.badge}">${t}</span>`;
    if (p.strong) t = `<strong>${t}</strong>`;
    if (p.warn) t = `<span class="warn">${t}</span>`;
    if (p.muted) t = `<span class="muted">${t}</span>`;
    s += t;
  }
  return s;
}

function blockHtml(b: Block, out: string[]): void {
  switch (b.kind) {
    case 'heading':
      out.push(`<h${b.level} id="${escapeHtml(b.id)}">${escapeHtml(b.text)}</h${b.level}>`);
      return;
    case 'paragraph':
      out.push(`<p${b.tone ? ` class="tone-${b.tone}"` : ''}>${inlineHtml(b.content)}</p>`);
      return;
    case 'list':
      out.push(`<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('')}</ul>`);
      return;
    case 'table': {
      const cls = (c: { align?: string; nowrap?: boolean }) => {
        const k = [c.align === 'right' ? 'r' : '', c.nowrap ? 'nowrap' : ''].filter(Boolean).join(' ');
        return k ? ` class="${k}"` : '';
      };
      const colCls = b.columns.map(cls);
      const parts: string[] = [`<div class="table-wrap"><table${b.className ? ` class="${escapeHtml(b.className)}"` : ''}>`];
      if (b.caption) parts.push(`<caption>${escapeHtml(b.caption)}</caption>`);
      parts.push(`<thead><tr>${b.columns.map((c, i) => `<th${colCls[i]}>${escapeHtml(c.header)}</th>`).join('')}</tr></thead><tbody>`);
      for (const r of b.rows) {
        let row = '<tr>';
        for (let i = 0; i < r.length; i++) row += `<td${colCls[i] ?? ''}>${inlineHtml(r[i])}</td>`;
        parts.push(row + '</tr>');
      }
      parts.push('</tbody></table></div>');
      for (const n of b.notes ?? []) parts.push(`<p class="table-note">${inlineHtml(n)}</p>`);
      if (b.sql) parts.push(`<details class="sql"><summary>SQL that reproduces this table (run it with <code>binllm sql</code>)</summary><pre><code class="language-sql">${escapeHtml(b.sql)}</code></pre></details>`);
      out.push(parts.join('\n'));
      return;
    }
    case 'code':
      out.push(`${b.caption ? `<p class="table-note">${escapeHtml(b.caption)}</p>` : ''}<pre><code class="language-${escapeHtml(b.lang)}">${escapeHtml(b.text)}</code></pre>`);
      return;
    case 'charts':
      out.push(`<div class="charts">${b.charts.map((c) => `<figure>${c.svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`).join('\n')}</div>`);
      return;
    case 'columns':
      out.push('<div class="columns">');
      for (const x of b.blocks) { const inner: string[] = []; blockHtml(x, inner); out.push(`<div class="column">${inner.join('\n')}</div>`); }
      out.push('</div>');
      return;
    case 'details':
      out.push(`<details class="more"><summary>${escapeHtml(b.summary)}</summary>`);
      for (const x of b.blocks) blockHtml(x, out);
      out.push('</details>');
      return;
    case 'section':
      out.push(`<section id="${escapeHtml(b.id)}">`);
      for (const x of b.blocks) blockHtml(x, out);
      out.push('</section>');
      return;
  }
}

export function renderHtml(data: ReportData): string {
  const out: string[] = [];
  for (const b of buildReport(data)) blockHtml(b, out);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`Sweep report: ${data.sweep.name} (${data.sweep.id})`)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body><main>',
    ...out,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
