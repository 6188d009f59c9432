// H3 — binary blocks + distillation match 4-bit on NLU (PROTOCOL.md §H3).
import { z } from 'zod';
import { defineHypothesis, type Comparison } from '../definition.ts';

export const h3Settings = z.object({
  accuracyMarginPoints: z.number().positive('a margin is the tolerated loss and must be > 0').default(1),
}).strict();

/** The binllm-nlu params both H3 and H4 check (the kernel's describe has the ranges). */
export const NLU_PARAM_CHECKS = {
  d_model: 'positive-int', n_layers: 'positive-int', n_heads: 'positive-int', steps: 'positive-int', student_steps: 'positive-int',
  batch: 'positive-int', max_len: 'positive-int', n_train: 'positive-int', n_dev: 'positive-int', max_vocab: 'positive-int',
  group: 'positive-int', lora_rank: 'positive-int', eval_batch: 'positive-int', lr: 'non-negative-number', student_lr: 'non-negative-number',
  weight_decay: 'non-negative-number', distill_weight: 'non-negative-number', distill_temperature: 'non-negative-number',
  distill_hidden: 'non-negative-number', dataset: 'string', tasks: 'string', tokenizer: 'string', int4_mode: 'string', bin_weights: 'string',
} as const;

/** A small CPU cell: one classification and one reasoning task, word tokens, a 2-layer width-32 encoder. */
export const NLU_CPU_PARAMS = {
  dataset: 'synthetic', tasks: 'sentiment,arith', tokenizer: 'words', max_len: 20, d_model: 32, n_layers: 2, n_heads: 4,
  steps: 600, student_steps: 150, n_train: 2000, n_dev: 300, lora_rank: 2,
};

const secondary = (metric: 'f1' | 'mcc', margin: number): Comparison => ({
  id: `${metric}-bin-vs-int4`, description: `${metric.toUpperCase()} of bin-blocks within ${margin} points of int4`,
  pairing: { kind: 'across-variants', metric, variant: 'bin-blocks', baseline: 'int4' }, direction: 'higher',
  claim: { kind: 'non-inferiority', margin, scale: 'absolute' }, gridKeys: ['task'], family: `H3-${metric}`, role: 'secondary',
});

export const H3 = defineHypothesis({
  id: 'H3',
  title: 'Binary blocks with distillation match 4-bit on NLU',
  claim: 'Per task, a transformer with BitLinear attention/MLP blocks distilled from a full-precision teacher is non-inferior to the same architecture at 4-bit (margin 1 point on a 0–100 scale, Holm over tasks), and it uses strictly fewer bits per parameter and less peak memory.',
  family: 'classification',
  kernel: 'nlu',
  variants: {
    'bin-blocks': { description: 'BitLinear attention/MLP blocks (sign + absmean, 8-bit activations), embeddings int4, KL-distilled from the teacher', params: { quant: 'bin-blocks' } },
    int4: { description: 'same architecture at 4-bit: NF4 base frozen + LoRA adapters (QLoRA), the baseline', params: { quant: 'int4' } },
    fp16: { description: 'full-precision teacher (fp16 storage)', params: { quant: 'fp16' } },
  },
  defaultVariants: ['bin-blocks', 'int4'],
  baseline: 'int4',
  grid: {},
  defaultParams: NLU_CPU_PARAMS,
  paramChecks: NLU_PARAM_CHECKS,
  pathParams: ['task_dir'],
  minSeeds: 3,
  settings: h3Settings,
  comparisons: (s) => [
    {
      id: 'accuracy-bin-vs-int4', description: `accuracy of bin-blocks non-inferior to int4, margin ${s.accuracyMarginPoints} points`,
      pairing: { kind: 'across-variants', metric: 'accuracy', variant: 'bin-blocks', baseline: 'int4' }, direction: 'higher',
      claim: { kind: 'non-inferiority', margin: s.accuracyMarginPoints, scale: 'absolute' }, gridKeys: ['task'], family: 'H3-accuracy', role: 'primary',
    },
    secondary('f1', s.accuracyMarginPoints),
    secondary('mcc', s.accuracyMarginPoints),
  ],
  timeouts: { startToCloseMinutes: 720, heartbeatSeconds: 60 },
});
