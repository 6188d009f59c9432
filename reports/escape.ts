// Escaping of every piece of text that reaches the report. Data in Postgres (spec names, failure
// reasons, stderr, device names) is untrusted: it must never become markup in HTML or SVG, nor
// break a Markdown table.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for HTML and SVG (XML). Control characters are dropped. */
export function escapeHtml(s: unknown): string {
  // eslint-disable-next-line no-control-regex
  return String(s ?? '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/[&<>"']/g, (c) => HTML[c]);
}

/** Inline Markdown text: backslash-escapes the characters that start markup, so a failure reason
 * like `<script>` or `*x*` prints literally. Newlines become spaces (one line per cell). */
export function escapeMarkdown(s: unknown): string {
  return String(s ?? '')
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]|~>])/g, '\\$1')
    .replace(/</g, '&lt;')
    .replace(/^(\s*)([-+#])(?=\s|$)/, '$1\\$2')
    .replace(/^(\s*\d+)\.(?=\s|$)/, '$1\\.');
}

/** A Markdown code fence long enough that the content cannot close it. */
export function markdownFence(content: string): string {
  const longest = Math.max(2, ...Array.from(content.matchAll(/`+/g), (m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/** Identifier for ids/anchors: lower case, [a-z0-9-] only. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}
