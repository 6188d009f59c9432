// H5 — net energy gain at long context (PROTOCOL.md §H5).
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';

export const h5Settings = z.object({
  tokensPerSecondMargin: z.number().positive('a margin is the tolerated loss and must be > 0').max(0.5).default(0.01),
}).strict();

export const H5 = defineHypothesis({
  id: 'H5',
  title: 'Net energy gain at long context',
  claim: 'Per GPU generation and context length, packed 1-bit KV attention + binary GEMM uses fewer joules per token than the 4-bit baseline (one-sided superiority) while tokens/s stays non-inferior (margin 1%); the crossover context L* is reported per GPU.',
  family: 'efficiency',
  kernel: 'decode-bench',
  variants: {
    'bin-kv': { description: 'packed 1-bit KV attention + binary GEMM', params: { quant: 'bin' } },
    int4: { description: 'group-wise int4 weights and KV cache (Q4 blocks of 32, the 4-bit baseline)', params: { quant: 'int4' } },
    fp16: { description: 'fp16 weights and KV cache (reference)', params: { quant: 'fp16' } },
  },
  defaultVariants: ['bin-kv', 'int4'],
  baseline: 'int4',
  grid: {},
  defaultParams: { contexts: [1024, 4096, 16384, 65536, 131072] },
  paramChecks: {
    contexts: 'positive-int-list', batch: 'positive-int', d_model: 'positive-int', n_layers: 'positive-int', n_heads: 'positive-int',
    n_kv_heads: 'positive-int', d_ff: 'positive-int', steps: 'positive-int', warmup: 'non-negative-number', window_s: 'non-negative-number',
    idle_s: 'non-negative-number', cooldown_s: 'non-negative-number',
  },
  pathParams: [],
  minSeeds: 3,
  settings: h5Settings,
  comparisons: (s) => [
    {
      id: 'energy-bin-vs-int4', description: 'joules/token of bin-kv lower than int4',
      pairing: { kind: 'across-variants', metric: 'joules_per_token', variant: 'bin-kv', baseline: 'int4' }, direction: 'lower',
      claim: { kind: 'superiority' }, gridKeys: ['gpu', 'ctx'], family: 'H5-energy', role: 'primary',
    },
    {
      id: 'throughput-bin-vs-int4', description: `tokens/s of bin-kv non-inferior to int4 (margin ${(s.tokensPerSecondMargin * 100).toFixed(1)}%)`,
      pairing: { kind: 'across-variants', metric: 'tokens_per_s', variant: 'bin-kv', baseline: 'int4' }, direction: 'higher',
      claim: { kind: 'non-inferiority', margin: -Math.log(1 - s.tokensPerSecondMargin), scale: 'log' }, gridKeys: ['gpu', 'ctx'], family: 'H5-throughput', role: 'primary',
    },
  ],
  timeouts: { startToCloseMinutes: 120, heartbeatSeconds: 60 },
  // tokens/s and joules measured beside other cells mean nothing: H5 cells run alone on their host
  exclusive: true,
});
