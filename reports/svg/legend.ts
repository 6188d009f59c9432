// Legends laid out in rows under the plot area; returns the markup and the height it takes.
import { fitText, line, px, text, textWidth } from './elements.ts';
import { escapeHtml } from '../escape.ts';

export interface LegendItem { label: string; color: string; kind: 'line' | 'band' | 'ref' | 'dot'; dash?: string }

export function legend(items: LegendItem[], x0: number, y0: number, maxWidth: number, size = 11): { svg: string; height: number } {
  if (!items.length) return { svg: '', height: 0 };
  const rowH = size + 8;
  const parts: string[] = [];
  let x = x0;
  let y = y0 + rowH / 2;
  for (const it of items) {
    const label = fitText(it.label, size, maxWidth - 40);
    const w = 26 + textWidth(label, size) + 16;
    if (x > x0 && x + w > x0 + maxWidth) { x = x0; y += rowH; }
    if (it.kind === 'band') {
      parts.push(`<rect x="${px(x)}" y="${px(y - 5)}" width="20" height="10" fill="${it.color}" fill-opacity="0.2"/>`);
    } else if (it.kind === 'dot') {
      parts.push(line(x, y, x + 20, y, it.color, 1.5, it.dash ?? ''), `<circle cx="${px(x + 10)}" cy="${px(y)}" r="3.5" fill="${it.color}"/>`);
    } else {
      parts.push(line(x, y, x + 20, y, it.color, it.kind === 'ref' ? 1.5 : 2, it.dash ?? ''));
    }
    parts.push(text(x + 26, y, label, { size, baseline: 'middle' }));
    x += w;
  }
  return { svg: `<g class="legend" aria-label="${escapeHtml('legend')}">${parts.join('')}</g>`, height: y - y0 + rowH / 2 + 4 };
}
