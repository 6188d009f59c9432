// H1 — binary embeddings preserve retrieval neighbourhoods (PROTOCOL.md §H1).
import { z } from 'zod';
import { defineHypothesis, type Comparison } from '../definition.ts';

const BINARIZERS = ['rhp', 'itq', 'sign'] as const;

export const h1Settings = z.object({
  overlapThreshold: z.number().gt(0).max(1).default(0.95),
  ndcgMargin: z.number().positive('a margin is the tolerated loss and must be > 0').max(1).default(0.02),
  /** the binarizer whose results decide the verdict; default: the first of rhp, itq, sign the sweep runs */
  primaryBinarizer: z.enum(BINARIZERS).optional(),
  /** which binary retrieval the nDCG non-inferiority tests: raw Hamming top-10, or Hamming candidates
   * (rescore_multiplier × k) re-ranked with the float query (ndcg_at_10_rescored); the other is reported */
  ndcgRetrieval: z.enum(['raw', 'rescored']).default('raw'),
  /** run every H1 cell alone on its host, so its queries/s (queries_per_s_*) are not shared with
   * neighbouring cells (DESIGN.md: timing cells run alone); off by default: the quality metrics
   * do not depend on it and alone-cells serialise the sweep */
  timingAlone: z.boolean().default(false),
}).strict();
type H1Settings = z.infer<typeof h1Settings>;

/** binary nDCG@10 metric of each retrieval mode, and the grid keys its tests run over */
const NDCG_METRIC = { raw: 'ndcg_at_10_binary', rescored: 'ndcg_at_10_rescored' } as const;
const NDCG_GRID = { raw: ['bits'], rescored: ['bits', 'rescore_multiplier'] } as const;

function ndcgComparison(s: H1Settings, b: string, mode: 'raw' | 'rescored', role: 'primary' | 'secondary'): Comparison {
  const chosen = mode === s.ndcgRetrieval;
  return {
    id: chosen ? `ndcg-${b}` : `ndcg-${b}-${mode}`,
    description: `binary (${b}${mode === 'rescored' ? ', rescored' : ''}) nDCG@10 non-inferior to float nDCG@10, margin ${s.ndcgMargin}${chosen ? '' : ' (reported beside the verdict)'}`,
    pairing: { kind: 'within-run', variant: b, variantMetric: NDCG_METRIC[mode], baselineMetric: 'ndcg_at_10_float' }, direction: 'higher',
    claim: { kind: 'non-inferiority', margin: s.ndcgMargin, scale: 'absolute' }, gridKeys: [...NDCG_GRID[mode]],
    family: chosen ? `H1-ndcg-${b}` : `H1-ndcg-${mode}-${b}`, role: chosen ? role : 'secondary',
  };
}

export const H1 = defineHypothesis({
  id: 'H1',
  title: 'Binary embeddings preserve retrieval neighbourhoods',
  claim: 'There is a code length m in the grid whose one-sided 95% lower confidence bound of mean top-k overlap with exact cosine search is ≥ 0.95 for k = 10 and 50, and at that m binary nDCG@10 is non-inferior to float nDCG@10 (margin δ = 0.02).',
  family: 'retrieval',
  kernel: 'hamming',
  variants: {
    rhp: { description: 'random Gaussian hyperplanes, m bits', params: { binarizer: 'rhp' } },
    itq: {
      description: 'PCA to m dims + iterative quantization (learned)', params: { binarizer: 'itq' },
      gridConstraint: { description: 'itq needs m ≤ d', holds: (p) => typeof p.dim !== 'number' || typeof p.bits !== 'number' || p.bits <= p.dim },
    },
    sign: { description: 'sign of each coordinate (m = d)', params: { binarizer: 'sign' }, excludeAxes: ['bits'] },
  },
  defaultVariants: ['rhp', 'itq', 'sign'],
  baseline: null, // the float search runs inside every cell on the same draw
  grid: { bits: [64, 128, 256, 512, 1024, 2048] },
  defaultParams: { dataset: 'synthetic', ks: [10, 50] },
  paramChecks: {
    bits: 'positive-int', ks: 'positive-int-list', n_docs: 'positive-int', n_queries: 'positive-int', dim: 'positive-int',
    n_topics: 'positive-int', itq_iters: 'positive-int', query_noise: 'non-negative-number', dataset: 'string',
  },
  pathParams: ['corpus_npy', 'queries_npy', 'beir_dir'],
  minSeeds: 3,
  settings: h1Settings,
  resolveSettings: (s, variants) => {
    const issues: Array<{ key: string; message: string }> = [];
    if (s.primaryBinarizer && !variants.includes(s.primaryBinarizer)) {
      issues.push({ key: 'primaryBinarizer', message: `"${s.primaryBinarizer}" is not among the variants this sweep runs (${variants.join(', ')}); the verdict is about the primary binarizer, so pick one of them` });
    }
    const primary = s.primaryBinarizer ?? BINARIZERS.find((b) => variants.includes(b)) ?? 'rhp';
    return { settings: { ...s, primaryBinarizer: primary }, issues };
  },
  comparisons: (s): Comparison[] => BINARIZERS.flatMap((b): Comparison[] => {
    const role = b === (s.primaryBinarizer ?? 'rhp') ? 'primary' : 'secondary';
    return [
      {
        id: `overlap-${b}`, description: `mean overlap@k of ${b} codes with exact cosine top-k ≥ ${s.overlapThreshold}`,
        pairing: { kind: 'single', metric: 'overlap_at_k', variant: b }, direction: 'higher',
        claim: { kind: 'lower-confidence-bound', threshold: s.overlapThreshold }, gridKeys: ['bits', 'k'], family: `H1-overlap-${b}`, role,
      },
      ndcgComparison(s, b, s.ndcgRetrieval, role),
      ndcgComparison(s, b, s.ndcgRetrieval === 'raw' ? 'rescored' : 'raw', role),
    ];
  }),
  exclusive: (settings) => settings.timingAlone,
  timeouts: { startToCloseMinutes: 60, heartbeatSeconds: 60 },
});
