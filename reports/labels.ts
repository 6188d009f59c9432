// Human names and units of metrics, grid axes, tests and key numbers. Unknown names pass through
// unchanged, so a new kernel metric still shows up (under its stored name).
import { fmtValue } from './format.ts';

export interface MetricInfo { label: string; unit: string }

export const METRICS: Record<string, MetricInfo> = {
  overlap_at_k: { label: 'overlap@k with exact cosine top-k', unit: 'fraction' },
  ndcg_at_10_binary: { label: 'nDCG@10, binary codes', unit: '0–1' },
  ndcg_at_10_float: { label: 'nDCG@10, float embeddings', unit: '0–1' },
  recall_at_k: { label: 'recall@k', unit: 'fraction' },
  bytes_per_vector: { label: 'bytes per vector', unit: 'B' },
  ppl: { label: 'perplexity', unit: 'per token' },
  nll: { label: 'negative log-likelihood', unit: 'nats/token' },
  entropy_rate_nats: { label: 'true entropy rate of the source', unit: 'nats/token' },
  kv_cache_bytes: { label: 'KV cache size', unit: 'B' },
  kv_bits_per_scalar: { label: 'KV cache bits per cached scalar (scales and fp16 residual included)', unit: 'bit' },
  eval_tokens: { label: 'scored tokens', unit: 'tokens' },
  accuracy: { label: 'accuracy', unit: 'as stored' },
  f1: { label: 'F1', unit: 'as stored' },
  mcc: { label: 'MCC', unit: '−1…1' },
  bits_per_param: { label: 'bits per parameter', unit: 'bit' },
  peak_mem_bytes: { label: 'peak memory', unit: 'B' },
  total_bits: { label: 'total bits', unit: 'bit' },
  tokens_per_s: { label: 'decode throughput', unit: 'tokens/s' },
  joules_per_token: { label: 'energy per token', unit: 'J/token' },
  avg_power_w: { label: 'average power', unit: 'W' },
  idle_power_w: { label: 'idle power', unit: 'W' },
  elapsed_s: { label: 'elapsed time', unit: 's' },
};

export const metricInfo = (m: string): MetricInfo => METRICS[m] ?? { label: m.replace(/_/g, ' '), unit: '' };

/** "joules_per_token (J/token)" */
export function metricWithUnit(m: string): string {
  const u = METRICS[m]?.unit;
  return u && u !== 'as stored' ? `${m} (${u})` : m;
}

export const AXES: Record<string, { label: string; unit: string }> = {
  bits: { label: 'code length m', unit: 'bits' },
  ctx: { label: 'context length L', unit: 'tokens' },
  k: { label: 'k', unit: 'neighbours' },
};

export const TEST_LABELS: Record<string, string> = {
  'non-inferiority': 'non-inferiority, 1-sided t',
  superiority: 'superiority, 1-sided t',
  'lower-confidence-bound': 'LCB ≥ threshold, 1-sided t',
  'opposite-one-sided': 'opposite, 1-sided t',
  'paired-t-two-sided': 'paired t, 2-sided',
  'wilcoxon-signed-rank': 'Wilcoxon, 2-sided',
  'deterministic-check': 'deterministic check',
  friedman: 'Friedman (seeds as blocks)',
  'relative-degradation': 'relative degradation',
  'bootstrap-ci': 'bootstrap CI (seeds × units)',
};

/** Tests whose "reject" means the claim holds. */
export const CLAIM_TESTS = new Set(['non-inferiority', 'superiority', 'lower-confidence-bound']);

const KEY_LABELS: Record<string, string> = {
  mStar: 'm*',
  worstRatio: 'worst-case ratio',
  worstRatioUpperBound: 'worst-case ratio, upper bound',
  crossoverL: 'crossover L*',
  familyRanking: 'family ranking',
  marginsUsed: 'margins used',
};

export function keyLabel(k: string): string {
  return KEY_LABELS[k] ?? k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isFlat = (v: unknown) => v === null || typeof v !== 'object' || (Array.isArray(v) ? v.every((x) => x === null || typeof x !== 'object') : Object.values(v as object).every((x) => x === null || typeof x !== 'object'));

/** Compact JSON with numbers at 4 significant digits, for nested key numbers. */
export function compactJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && Number.isFinite(x) && !Number.isInteger(x) ? Number(x.toPrecision(4)) : x));
}

function gridOf(x: unknown): string {
  return isObj(x) && isObj(x.grid) ? Object.entries(x.grid).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '';
}

/** The number(s) that summarise a verdict (m*, worst-case ratio, L*, ranking …), from verdicts.key_numbers. */
export function headlineNumbers(hypothesis: string, k: Record<string, unknown>): string[] {
  const out: string[] = [];
  const perPoint = (list: unknown, what: string) => {
    if (!Array.isArray(list) || !list.length) return;
    const bounds = list.filter(isObj).map((x) => ({ b: numOrNull(x.bound), g: gridOf(x) })).filter((x) => x.b !== null) as Array<{ b: number; g: string }>;
    if (bounds.length) {
      const worst = bounds.reduce((a, b) => (b.b < a.b ? b : a));
      out.push(`${what} = ${fmtValue(worst.b)}${worst.g ? ` (${worst.g})` : ''}`);
    }
  };
  switch (hypothesis) {
    case 'H1':
      if ('mStar' in k) out.push(`m* = ${k.mStar === null || k.mStar === undefined ? 'none in the grid' : fmtValue(k.mStar)}${k.primaryBinarizer ? ` (${String(k.primaryBinarizer)})` : ''}`);
      if (isObj(k.ndcgAtMStar) && numOrNull(k.ndcgAtMStar.meanDiff) !== null) out.push(`nDCG@10 binary − float at m* = ${fmtValue(k.ndcgAtMStar.meanDiff)} (one-sided bound ${fmtValue(k.ndcgAtMStar.bound)})`);
      break;
    case 'H2':
      if ('worstRatio' in k && k.worstRatio === null) out.push('worst-case ppl ratio: not available (no paired context length)');
      else if ('worstRatio' in k) out.push(`worst-case ppl ratio = ${fmtValue(k.worstRatio)}${numOrNull(k.worstRatioUpperBound) !== null ? ` (upper bound ${fmtValue(k.worstRatioUpperBound)})` : ''}`);
      break;
    case 'H3':
      perPoint(k.perTask, 'worst one-sided lower bound of the accuracy difference');
      break;
    case 'H4':
      perPoint(k.perTask, 'smallest one-sided lower bound of d_A − d_B');
      break;
    case 'H5':
      if (isObj(k.crossoverL)) out.push(`crossover L* = ${Object.entries(k.crossoverL).map(([g, v]) => `${g}: ${v === null ? 'none' : fmtValue(v)}`).join('; ') || 'no GPU measured'}`);
      break;
    case 'H6':
      if (Array.isArray(k.familyRanking)) out.push(`ranking: ${k.familyRanking.filter(isObj).map((r) => `${String(r.family)} ${fmtValue(r.mean)}`).join(' > ') || 'no family measured'}`);
      break;
  }
  if (!out.length) {
    // unknown shape: the scalar entries
    for (const [key, v] of Object.entries(k ?? {})) if (v === null || typeof v !== 'object') out.push(`${keyLabel(key)} = ${fmtValue(v)}`);
  }
  return out.slice(0, 3);
}
