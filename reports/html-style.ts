// The report's only stylesheet, inlined into the HTML. Designed for 1280 px and up: content is at
// most 1240 px wide, wide tables scroll inside their own box, long codes and JSON wrap.
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f3f5f7; --zebra: #fafbfc; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 6px; }
h4 { font-size: 14px; margin: 18px 0 4px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
p { margin: 6px 0 10px; max-width: 1100px; }
a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
code { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; background: #f1f3f5; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
pre { margin: 4px 0 12px; padding: 8px 10px; background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; line-height: 1.4; }
pre code { background: none; padding: 0; }
.muted { color: var(--muted); }
.warn { color: #9a3412; font-weight: 600; }
p.tone-warn, p.tone-bad, p.tone-note { padding: 8px 12px; border-radius: 4px; border-left: 4px solid; }
p.tone-warn { background: #fff8e6; border-color: #e8a317; }
p.tone-bad { background: #fdecec; border-color: #c62828; }
p.tone-note { background: #eef5fc; border-color: #4a90d9; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; letter-spacing: .02em; text-transform: uppercase; white-space: nowrap; }
.badge-supported { background: #dff3e4; color: #116329; }
.badge-rejected { background: #fde2e1; color: #a40e26; }
.badge-inconclusive { background: #fff1c2; color: #7a4d00; }
.badge-neutral { background: #e8ebef; color: #39424c; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 6px 0 4px; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 2px 0 4px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: var(--head); font-weight: 600; }
tbody tr:nth-child(even) td { background: var(--zebra); }
td.r, th.r { text-align: right; }
.nowrap { white-space: nowrap; }
table.kv td:first-child { white-space: nowrap; }
table.kv td:last-child { max-width: 1000px; }
table.verdicts { width: 100%; }
table.verdicts td:nth-child(1) { width: 210px; }
table.verdicts td:nth-child(2) { width: 1%; }
table.verdicts td:nth-child(4) { width: 300px; }
details.more { margin: 4px 0 12px; }
details.more > summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.table-note { color: var(--muted); font-size: 12px; margin: 2px 0 6px; }
details.sql { margin: 2px 0 14px; }
details.sql > summary { cursor: pointer; color: var(--muted); font-size: 12px; }
div.columns { display: flex; flex-wrap: wrap; gap: 4px 28px; align-items: flex-start; }
div.column { min-width: 0; max-width: 100%; }
ul { margin: 6px 0 10px; padding-left: 22px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; margin: 8px 0 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 4px; padding: 8px; min-width: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
nav.toc { font-size: 13px; }
`;
