// H3 — binary blocks + distillation match 4-bit on NLU (PROTOCOL.md §H3).
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';

export const h3Settings = z.object({
  accuracyMarginPoints: z.number().positive('a margin is the tolerated loss and must be > 0').default(1),
}).strict();

export const H3 = defineHypothesis({
  id: 'H3',
  title: 'Binary blocks with distillation match 4-bit on NLU',
  claim: 'Per task, a transformer with BitLinear attention/MLP blocks distilled from a full-precision teacher is non-inferior to the same architecture at 4-bit (margin 1 point on a 0–100 scale, Holm over tasks), and it uses strictly fewer bits per parameter and less peak memory.',
  family: 'classification',
  kernel: 'nlu',
  variants: {
    'bin-blocks': { description: 'BitLinear attention/MLP blocks, distilled', params: { quant: 'bin-blocks' } },
    int4: { description: 'same architecture at 4-bit (the baseline)', params: { quant: 'int4' } },
    fp16: { description: 'full-precision teacher', params: { quant: 'fp16' } },
  },
  defaultVariants: ['bin-blocks', 'int4'],
  baseline: 'int4',
  grid: {},
  defaultParams: { dataset: 'synthetic' },
  paramChecks: { d_model: 'positive-int', n_layers: 'positive-int', steps: 'positive-int', dataset: 'string' },
  pathParams: ['task_dir'],
  minSeeds: 3,
  settings: h3Settings,
  comparisons: (s) => [{
    id: 'accuracy-bin-vs-int4', description: `accuracy of bin-blocks non-inferior to int4, margin ${s.accuracyMarginPoints} points`,
    pairing: { kind: 'across-variants', metric: 'accuracy', variant: 'bin-blocks', baseline: 'int4' }, direction: 'higher',
    claim: { kind: 'non-inferiority', margin: s.accuracyMarginPoints, scale: 'absolute' }, gridKeys: ['task'], family: 'H3-accuracy', role: 'primary',
  }],
  timeouts: { startToCloseMinutes: 720, heartbeatSeconds: 60 },
});
