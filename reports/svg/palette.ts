// Colour-blind-safe series colours (Okabe–Ito) and the styles of reference lines.
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const;

export function seriesColor(i: number): string {
  return SERIES_COLORS[((i % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length];
}

export type RefStyle = 'threshold' | 'zero' | 'margin';
export const REF_STYLES: Record<RefStyle, { stroke: string; dash: string }> = {
  threshold: { stroke: '#B8002E', dash: '6 4' },
  zero: { stroke: '#555555', dash: '' },
  margin: { stroke: '#B8002E', dash: '3 3' },
};
