// H2 — a binary KV cache keeps perplexity within 5% of the 4-bit baseline (PROTOCOL.md §H2).
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';

export const h2Settings = z.object({
  pplRatio: z.number().gt(1, 'the perplexity ratio margin must be > 1 (e.g. 1.05 = within 5%)').default(1.05),
  accuracyMarginPoints: z.number().positive('a margin is the tolerated loss and must be > 0').default(2),
}).strict();

export const H2 = defineHypothesis({
  id: 'H2',
  title: 'A binary KV cache keeps perplexity within 5% of the 4-bit baseline',
  claim: 'At every targeted context length L, perplexity with a 1-bit KV cache (sign + per-channel scale) is non-inferior to the group-wise int4 KV cache on the log scale: H0: mean(log ppl_bin − log ppl_int4) ≥ log 1.05, rejected after Holm.',
  family: 'language-modelling',
  kernel: 'lm',
  variants: {
    'bin-kv': { description: 'KV cache 1 bit per scalar with per-channel scale', params: { kv: 'bin' } },
    int4: { description: 'group-wise int4 KV cache (the 4-bit baseline)', params: { kv: 'int4' } },
    int8: { description: 'int8 KV cache', params: { kv: 'int8' } },
    fp16: { description: 'fp16 KV cache', params: { kv: 'fp16' } },
    int2: { description: 'group-wise int2 KV cache', params: { kv: 'int2' } },
  },
  defaultVariants: ['bin-kv', 'int4'],
  baseline: 'int4',
  grid: {},
  defaultParams: { dataset: 'synthetic', contexts: [64, 96, 128] },
  paramChecks: {
    contexts: 'positive-int-list', d_model: 'positive-int', n_layers: 'positive-int', n_heads: 'positive-int', ctx: 'positive-int',
    steps: 'positive-int', batch: 'positive-int', lr: 'non-negative-number', kv_group: 'positive-int', dataset: 'string',
    vocab: 'positive-int', markov_order: 'positive-int', n_train_tokens: 'positive-int', n_valid_tokens: 'positive-int',
  },
  pathParams: ['train_file', 'valid_file', 'checkpoint'],
  minSeeds: 3,
  settings: h2Settings,
  comparisons: (s) => [
    {
      id: 'ppl-bin-vs-int4', description: `log perplexity of bin-kv vs int4 non-inferior within a ratio of ${s.pplRatio}`,
      pairing: { kind: 'across-variants', metric: 'ppl', variant: 'bin-kv', baseline: 'int4' }, direction: 'lower',
      claim: { kind: 'non-inferiority', margin: Math.log(s.pplRatio), scale: 'log' }, gridKeys: ['ctx'], family: 'H2-ppl', role: 'primary',
    },
    {
      // The LM kernel's task is next-token prediction: its accuracy (0–100) is the secondary metric.
      id: 'accuracy-bin-vs-int4', description: `next-token accuracy of bin-kv within ${s.accuracyMarginPoints} points of int4`,
      pairing: { kind: 'across-variants', metric: 'next_token_acc', variant: 'bin-kv', baseline: 'int4' }, direction: 'higher',
      claim: { kind: 'non-inferiority', margin: s.accuracyMarginPoints, scale: 'absolute' }, gridKeys: ['ctx'], family: 'H2-accuracy', role: 'secondary',
    },
  ],
  timeouts: { startToCloseMinutes: 240, heartbeatSeconds: 60 },
});
