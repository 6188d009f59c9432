// ReportData → Markdown. Tables are GitHub-flavoured; charts are embedded as SVG data URIs so the
// Markdown file stands alone like the HTML one; each table's SQL follows it in a fenced block.
import { buildReport } from './build.ts';
import type { Block, Inline } from './document.ts';
import { escapeHtml, escapeMarkdown, markdownFence } from './escape.ts';
import type { ReportData } from './types.ts';

function codeSpan(text: string, inTable: boolean): string {
  let t = text.replace(/\r?\n/g, ' ');
  if (inTable) t = t.replace(/\|/g, '\\|');
  const ticks = Math.max(0, ...Array.from(t.matchAll(/`+/g), (m) => m[0].length)) + 1;
  const fence = '`'.repeat(ticks);
  return ticks > 1 || t.startsWith('`') || t.endsWith('`') ? `${fence} ${t} ${fence}` : `${fence}${t}${fence}`;
}

export function inlineMd(parts: Inline[], inTable = false): string {
  return parts.map((p) => {
    if (typeof p === 'string') return escapeMarkdown(p);
    if (!p.text) return '';
    if (p.code) return codeSpan(p.text, inTable);
    let t = escapeMarkdown(p.text);
    if (p.href) t = `[${t}](${p.href})`;
    if (p.badge) t = `**${escapeMarkdown(p.text.toUpperCase())}**`;
    // emphasis markers must hug the text: "**Holes: **x" would not render as bold
    const wrap = (x: string, m: string) => { const [, a, core, b] = /^(\s*)([\s\S]*?)(\s*)$/.exec(x) ?? ['', '', x, '']; return core ? `${a}${m}${core}${m}${b}` : x; };
    if (p.strong || p.warn) t = wrap(t, '**');
    if (p.muted) t = wrap(t, '_');
    return t;
  }).join('');
}

function sqlBlock(sql: string): string {
  const fence = markdownFence(sql);
  return `<details><summary>SQL that reproduces this table (run it with <code>binllm sql</code>)</summary>\n\n${fence}sql\n${sql}\n${fence}\n\n</details>`;
}

function blockMd(b: Block, out: string[]): void {
  switch (b.kind) {
    case 'heading':
      out.push(`<a id="${b.id}"></a>\n\n${'#'.repeat(b.level)} ${escapeMarkdown(b.text)}`);
      return;
    case 'paragraph': {
      const prefix = b.tone === 'warn' ? '> ⚠ ' : b.tone === 'bad' ? '> ✗ ' : b.tone === 'note' ? '> ' : '';
      out.push(prefix + inlineMd(b.content));
      return;
    }
    case 'list':
      out.push(b.items.map((i) => `- ${inlineMd(i)}`).join('\n'));
      return;
    case 'table': {
      const lines: string[] = [];
      if (b.caption) lines.push(`**${escapeMarkdown(b.caption)}**`, '');
      lines.push(`| ${b.columns.map((c) => escapeMarkdown(c.header)).join(' | ')} |`);
      lines.push(`| ${b.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`);
      for (const r of b.rows) lines.push(`| ${r.map((cell) => inlineMd(cell, true) || ' ').join(' | ')} |`);
      for (const n of b.notes ?? []) lines.push('', `_${inlineMd(n)}_`);
      out.push(lines.join('\n'));
      if (b.sql) out.push(sqlBlock(b.sql));
      return;
    }
    case 'code': {
      const fence = markdownFence(b.text);
      out.push(`${b.caption ? `${escapeMarkdown(b.caption)}:\n\n` : ''}${fence}${b.lang}\n${b.text}\n${fence}`);
      return;
    }
    case 'charts':
      for (const c of b.charts) {
        out.push(`![${escapeMarkdown(c.alt)}](data:image/svg+xml;base64,${Buffer.from(c.svg, 'utf8').toString('base64')})\n\n_${escapeMarkdown(c.caption)}_`);
      }
      return;
    case 'details':
      out.push(`<details><summary>${escapeHtml(b.summary)}</summary>`);
      for (const x of b.blocks) blockMd(x, out);
      out.push('</details>');
      return;
    case 'section': case 'columns':
      for (const x of b.blocks) blockMd(x, out);
      return;
  }
}

export function renderMarkdown(data: ReportData): string {
  const out: string[] = [];
  for (const b of buildReport(data)) blockMd(b, out);
  return out.join('\n\n') + '\n';
}
