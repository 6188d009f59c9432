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
  // Bits per cached scalar (scales included) are reported by each cell as kv_bits_per_scalar.
  // Only qjl draws from the seed (its JL projection); with a pretrained model and a fixed text the
  // other variants give identical results for every seed, and per-window NLL is the replication unit.
  variants: {
    'bin-kv': { description: 'KV cache 1 bit per scalar with per-channel scale', params: { kv: 'bin' } },
    int4: { description: 'group-wise int4 KV cache (the 4-bit baseline)', params: { kv: 'int4' } },
    int8: { description: 'int8 KV cache', params: { kv: 'int8' } },
    fp16: { description: 'fp16 KV cache', params: { kv: 'fp16' } },
    int2: { description: 'group-wise int2 KV cache', params: { kv: 'int2' } },
    // pretrained (GGUF) models only:
    q4_0: { description: "llama.cpp's q4_0 KV cache (symmetric blocks of 32, 4.5 bits)", params: { kv: 'q4_0' } },
    kivi2: { description: 'KIVI int2: keys per channel (token blocks of 32), values per token', params: { kv: 'kivi2' } },
    'kivi-bin': { description: 'KIVI layout with sign + fp16 mean-|x| scales (keys per channel, values per token)', params: { kv: 'kivi-bin' } },
    'kivi-bin-r64': { description: 'kivi-bin with the 64 most recent tokens at fp16 (KIVI residual)', params: { kv: 'kivi-bin', kv_residual: 64 } },
    'bin-c': { description: 'centred sign: running per-channel mean subtracted before the sign', params: { kv: 'bin-c' } },
    qjl: { description: 'keys: sign of a seeded JL projection + norm (unbiased q.k estimator); values: bin', params: { kv: 'qjl' } },
    // kv_rotation: q/k/v rotated by a Walsh-Hadamard matrix before the cache quantises them
    // (QuaRot-style; llama.cpp's default for quantised caches, so q4_0-h is what it runs as q4_0)
    'q4_0-h': { description: "q4_0 after a Hadamard rotation of q/k/v (llama.cpp's default q4_0 cache)", params: { kv: 'q4_0', kv_rotation: 'hadamard' } },
    'int4-h': { description: 'group-wise int4 after a Hadamard rotation of q/k/v', params: { kv: 'int4', kv_rotation: 'hadamard' } },
    'kivi2-h': { description: 'KIVI int2 after a Hadamard rotation of q/k/v', params: { kv: 'kivi2', kv_rotation: 'hadamard' } },
    'bin-h': { description: 'sign + per-channel scale after a Hadamard rotation of q/k/v', params: { kv: 'bin', kv_rotation: 'hadamard' } },
  },
  defaultVariants: ['bin-kv', 'int4'],
  baseline: 'int4',
  grid: {},
  // no dataset here: without a model the kernel trains its small synthetic model (its default),
  // with `model` (datasets.H2) it evaluates the pretrained one on text
  defaultParams: { contexts: [64, 96, 128] },
  paramChecks: {
    contexts: 'positive-int-list', d_model: 'positive-int', n_layers: 'positive-int', n_heads: 'positive-int', ctx: 'positive-int',
    steps: 'positive-int', batch: 'positive-int', lr: 'non-negative-number', kv_group: 'positive-int', dataset: 'string',
    vocab: 'positive-int', markov_order: 'positive-int', n_train_tokens: 'positive-int', n_valid_tokens: 'positive-int',
    // pretrained path: model = smollm2-135m or a .gguf path, corpus = hamlet / shakespeare or a path
    // (both resolved by the kernel in .binllm/models-venv; give a path as checkpoint / valid_file
    // to have it checked before the sweep starts)
    model: 'string', corpus: 'string', stride: 'positive-int', kv_residual: 'positive-int', qjl_dim: 'positive-int',
    max_eval_tokens: 'positive-int', max_windows: 'positive-int', kv_rotation: 'string',
  },
  // model / corpus: a path or a registered name (kernels/lm/named-inputs.json); either way the
  // file's content enters the cell key
  pathParams: ['train_file', 'valid_file', 'checkpoint', 'model', 'corpus'],
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
