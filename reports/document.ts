// A small document model between ReportData and the two output formats: the report's content is
// built once as blocks (reports/sections/*), and render-markdown / render-html only decide how a
// block looks. So the Markdown and the HTML report can never disagree on a number.

export type Tone = 'supported' | 'rejected' | 'inconclusive' | 'neutral';

/** A run of text. Plain strings are text; objects add emphasis, code style, a verdict badge or an in-page link. */
export type Inline =
  | string
  | { text: string; strong?: boolean; code?: boolean; badge?: Tone; href?: `#${string}`; muted?: boolean; warn?: boolean };

export interface Column { header: string; align?: 'left' | 'right'; /** HTML: keep on one line */ nowrap?: boolean }

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; text: string; id: string }
  | { kind: 'paragraph'; content: Inline[]; tone?: 'note' | 'warn' | 'bad' }
  | { kind: 'list'; items: Inline[][] }
  | { kind: 'table'; caption?: string; columns: Column[]; rows: Inline[][][]; sql?: string; notes?: Inline[][]; className?: string }
  | { kind: 'code'; lang: string; text: string; caption?: string }
  | { kind: 'charts'; charts: Array<{ svg: string; caption: string; alt: string }> }
  | { kind: 'section'; id: string; blocks: Block[] }
  /** blocks that may sit side by side on a wide page (HTML); one after the other in Markdown */
  | { kind: 'columns'; blocks: Block[] }
  /** secondary detail, collapsed in HTML */
  | { kind: 'details'; summary: string; blocks: Block[] };

export const strong = (text: string): Inline => ({ text, strong: true });
export const code = (text: string): Inline => ({ text, code: true });
export const muted = (text: string): Inline => ({ text, muted: true });
export const warn = (text: string): Inline => ({ text, warn: true });

export function verdictTone(verdict: string | null | undefined): Tone {
  switch (verdict) {
    case 'supported': case 'differs': return 'supported';
    case 'rejected': return 'rejected';
    case 'inconclusive': case null: case undefined: return 'inconclusive';
    default: return 'neutral';
  }
}

export const badge = (verdict: string | null | undefined): Inline => ({ text: verdict ?? 'no verdict', badge: verdictTone(verdict) });

/** Plain text of inlines (for alt texts and tests). */
export function plain(inlines: Inline[]): string {
  return inlines.map((i) => (typeof i === 'string' ? i : i.text)).join('');
}
