// H4 — token embeddings are more sensitive than internal latents (PROTOCOL.md §H4).
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';
import { NLU_CPU_PARAMS, NLU_PARAM_CHECKS } from './h3.ts';

export const h4Settings = z.object({
  bitBudgetTolerance: z.number().positive().max(0.5).default(0.01),
}).strict();

export const H4 = defineHypothesis({
  id: 'H4',
  title: 'Token embeddings are more sensitive to binarization than internal latents',
  claim: 'At the same total bit budget, degradation from fp16 is larger when the token embeddings are binarized (A) than when internal blocks are (B): one-sided paired test d_A > d_B per task, Holm over tasks.',
  family: 'classification',
  kernel: 'nlu',
  variants: {
    'bin-embed': { description: 'A: binary token embeddings (sign + per-row scale), everything else int4, distilled', params: { quant: 'bin-embed' } },
    'bin-blocks': {
      description: 'B: just enough block rows binarized (BitLinear, last layer first) to equal bin-embed\'s total bits, the rest int4, distilled',
      params: { quant: 'bin-blocks', bin_blocks: 'match-bin-embed' },
    },
    fp16: { description: 'reference for the degradation (the teacher)', params: { quant: 'fp16' } },
  },
  defaultVariants: ['bin-embed', 'bin-blocks', 'fp16'],
  baseline: 'fp16',
  grid: {},
  defaultParams: NLU_CPU_PARAMS,
  paramChecks: NLU_PARAM_CHECKS,
  pathParams: ['task_dir'],
  minSeeds: 3,
  settings: h4Settings,
  // d_A − d_B = (fp16 − A) − (fp16 − B) = B − A per seed, so "d_A > d_B" is the superiority of B's metric over A's.
  comparisons: () => [{
    id: 'degradation-embed-vs-blocks', description: 'degradation of bin-embed exceeds degradation of bin-blocks (d_A > d_B)',
    pairing: { kind: 'across-variants', metric: 'accuracy', variant: 'bin-blocks', baseline: 'bin-embed' }, direction: 'higher',
    claim: { kind: 'superiority' }, gridKeys: ['task'], family: 'H4-degradation', role: 'primary',
  }],
  timeouts: { startToCloseMinutes: 720, heartbeatSeconds: 60 },
});
