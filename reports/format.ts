// Number formatting for the report. Every number a reader sees goes through one of these, so the
// precision rules live in one place: values get 3–4 significant digits, a mean is rounded to the
// decimals that its standard deviation justifies, p-values keep 2 significant digits down to 1e-4.
// Missing or non-finite values print as an em dash, never as "NaN" or "null".

export const MISSING = '—';

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** ∞ / −∞ / — for a value that is not a finite number. */
const nonFinite = (x: unknown): string => (x === Infinity ? '∞' : x === -Infinity ? '−∞' : MISSING);

/** Decimal places that show `sig` significant digits of |x| (0 for large numbers). */
export function decimalsFor(x: number, sig: number): number {
  if (!isNum(x) || x === 0) return Math.max(0, sig - 1);
  // the epsilon keeps 0.09999999999999 (a float sum that "is" 0.1) on the same side as 0.1
  const mag = Math.floor(Math.log10(Math.abs(x)) + 1e-9);
  return Math.max(0, sig - 1 - mag);
}

function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** A value with `sig` significant digits; thousands grouped with a thin space; scientific below 1e-4 or at/above 1e9. */
export function fmtNum(x: number | null | undefined, sig = 4): string {
  if (!isNum(x)) return nonFinite(x);
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax < 1e-4 || ax >= 1e9) return fmtSci(x, sig);
  const s = trimZeros(x.toFixed(Math.min(12, decimalsFor(x, sig))));
  return groupThousands(s).replace(/^-/, '−');
}

/** Fixed decimals (minus sign as U+2212), for columns that must line up. */
export function fmtFixed(x: number | null | undefined, decimals: number): string {
  if (!isNum(x)) return nonFinite(x);
  const s = x.toFixed(Math.max(0, Math.min(12, decimals)));
  return groupThousands(s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s).replace(/^-/, '−');
}

export function fmtSci(x: number, sig = 3): string {
  const [m, e] = x.toExponential(Math.max(0, sig - 1)).split('e');
  return `${trimZeros(m).replace(/^-/, '−')}×10^${Number(e)}`.replace(/\^(-?\d+)$/, (_, p: string) => superscript(p));
}

const SUP: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
function superscript(s: string): string { return [...s].map((c) => SUP[c] ?? c).join(''); }

function groupThousands(s: string): string {
  const m = /^(-?)(\d+)(.*)$/.exec(s);
  if (!m || m[2].length < 5) return s;
  return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009') + m[3];
}

/** Decimals for a mean ± sd pair: two significant digits of the sd (at least 3 of the mean when sd is 0/absent). */
export function decimalsForSpread(mean: number | null | undefined, sd: number | null | undefined): number {
  if (isNum(sd) && sd > 0) return Math.min(10, decimalsFor(sd, 2));
  return isNum(mean) ? Math.min(10, decimalsFor(mean, 4)) : 2;
}

/** "0.9731 ± 0.0042" with the mean rounded to the precision of its sd. */
export function fmtMeanSd(mean: number | null | undefined, sd: number | null | undefined): string {
  if (!isNum(mean)) return MISSING;
  const ax = Math.abs(mean);
  if (ax >= 1e9 || (ax > 0 && ax < 1e-4)) return isNum(sd) ? `${fmtSci(mean, 3)} ± ${fmtSci(sd, 2)}` : fmtSci(mean, 3);
  if (sd === 0) return `${fmtNum(mean)} ± 0`;
  const d = decimalsForSpread(mean, sd);
  return isNum(sd) ? `${fmtFixed(mean, d)} ± ${fmtFixed(sd, d)}` : fmtFixed(mean, d);
}

/** "[0.962, 0.981]"; open ends of one-sided intervals print as ±∞. */
export function fmtCi(lo: number | null | undefined, hi: number | null | undefined, ref?: number | null): string {
  if (!isNum(lo) && !isNum(hi) && nonFinite(lo) === MISSING && nonFinite(hi) === MISSING) return MISSING;
  const width = isNum(lo) && isNum(hi) ? Math.abs(hi - lo) : null;
  if (width === 0) return `[${fmtNum(lo)}, ${fmtNum(hi)}]`;
  const d = width && width > 0 ? Math.min(10, decimalsFor(width, 2)) : decimalsForSpread(ref ?? (isNum(lo) ? lo : hi), null);
  const one = (x: number | null | undefined) => (isNum(x) && (Math.abs(x) >= 1e9 || (x !== 0 && Math.abs(x) < 1e-4)) ? fmtSci(x, 3) : fmtFixed(x, d));
  return `[${one(lo)}, ${one(hi)}]`;
}

/** p-values: "< 0.0001" below 1e-4, 3 significant digits below 0.1 (so 0.0498 never reads as 0.05), 2 above. */
export function fmtP(p: number | null | undefined): string {
  if (!isNum(p)) return MISSING;
  if (p < 1e-4) return '< 0.0001';
  if (p >= 0.995) return '1';
  return trimZeros(p.toFixed(Math.min(12, decimalsFor(p, p >= 0.1 ? 2 : 3))));
}

export function fmtInt(x: number | null | undefined): string {
  return isNum(x) ? groupThousands(Math.round(x).toString()).replace(/^-/, '−') : MISSING;
}

export function fmtPercent(x: number | null | undefined, sig = 3): string {
  return isNum(x) ? `${fmtNum(x * 100, sig)}%` : MISSING;
}

/** Binary units for byte counts: "1.5 MiB". */
export function fmtBytes(x: number | null | undefined): string {
  if (!isNum(x)) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(x);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${x < 0 ? '−' : ''}${fmtNum(v, 3)} ${units[i]}`;
}

/** ISO timestamp → "2026-11-25 07:20:13 UTC". */
export function fmtTime(t: string | Date | null | undefined): string {
  if (!t) return MISSING;
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (!isNum(seconds)) return MISSING;
  if (seconds < 60) return `${fmtNum(seconds, 3)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h ? `${h} h ${m} min` : `${m} min ${s} s`;
}

/** A key number from the verdict: numbers formatted, everything else as compact JSON. */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return MISSING;
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(fmtValue).join(', ');
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${fmtValue(x)}`).join('; ');
  return String(v);
}

/** Grid point {bits: 256, k: 10} → "bits=256, k=10". */
export function fmtPoint(point: Record<string, unknown> | null | undefined): string {
  const entries = Object.entries(point ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNum(v, 6) : String(v)}`).join(', ') : MISSING;
}

/** JSON indented by 2, with arrays and objects that fit in `width` characters kept on one line. */
export function prettyJson(v: unknown, width = 100, indent = ''): string {
  const flat = JSON.stringify(v);
  if (flat === undefined) return 'null';
  if (v === null || typeof v !== 'object' || flat.length + indent.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + prettyJson(x, width, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${prettyJson(x, width, inner)}`).join(',\n')}\n${indent}}`;
}
