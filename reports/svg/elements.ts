// Small SVG element builders shared by the charts. All text goes through escapeHtml; numbers are
// rounded to 0.1 px so the markup stays short.
import { escapeHtml } from '../escape.ts';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
export const px = (v: number) => (Math.round(v * 10) / 10).toString();

/** Rough width of a label in px (average glyph ≈ 0.58 em in a sans-serif face). */
export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.58;
}

/** Shortens a label to fit `maxWidth` px, with an ellipsis. */
export function fitText(s: string, fontSize: number, maxWidth: number): string {
  const chars = [...s];
  const max = Math.max(3, Math.floor(maxWidth / (fontSize * 0.58)));
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

export interface TextOpts { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string; rotate?: number; baseline?: 'middle' | 'hanging' | 'auto' }

export function text(x: number, y: number, content: string, o: TextOpts = {}): string {
  const attrs = [`x="${px(x)}"`, `y="${px(y)}"`, `font-size="${o.size ?? 12}"`];
  if (o.anchor && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  if (o.fill) attrs.push(`fill="${o.fill}"`);
  if (o.baseline) attrs.push(`dominant-baseline="${o.baseline}"`);
  if (o.rotate) attrs.push(`transform="rotate(${o.rotate} ${px(x)} ${px(y)})"`);
  return `<text ${attrs.join(' ')}>${escapeHtml(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, dash = ''): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
}

export function polyline(points: Array<[number, number]>, stroke: string, width = 2, dash = ''): string {
  return `<polyline fill="none" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ')}"/>`;
}

export function polygon(points: Array<[number, number]>, fill: string, opacity: number): string {
  return `<polygon fill="${fill}" fill-opacity="${opacity}" stroke="none" points="${points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ')}"/>`;
}

export function circle(cx: number, cy: number, r: number, fill: string, tooltip?: string): string {
  const body = tooltip ? `><title>${escapeHtml(tooltip)}</title></circle>` : '/>';
  return `<circle cx="${px(cx)}" cy="${px(cy)}" r="${r}" fill="${fill}" stroke="#fff" stroke-width="1"${body}`;
}

/** The outer <svg>: fixed viewBox, scales down with the page (CSS max-width: 100%). */
export function svgDocument(width: number, height: number, title: string, desc: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family='${FONT}'>`,
    `<title>${escapeHtml(title)}</title><desc>${escapeHtml(desc)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** "Perplexity ratio (×)" – label with its unit in parentheses. */
export function axisTitle(label: string, unit?: string): string {
  return unit ? `${label} (${unit})` : label;
}
