// H6 — task sensitivity is empirical (PROTOCOL.md §H6). No runs of its own: it re-reads H1–H4.
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';

export const h6Settings = z.object({
  /** H1 code length m whose nDCG@10 feeds the retrieval family (default: H1's m* for its primary binarizer, else the largest m measured). */
  retrievalBits: z.number().int().positive().optional(),
  /** H2 context lengths averaged for the language-modelling family (default: every context measured). */
  lmContexts: z.array(z.number().int().positive()).min(1).optional(),
}).strict();

export const H6 = defineHypothesis({
  id: 'H6',
  title: 'Task sensitivity is empirical',
  claim: 'Task families (retrieval, classification, language modelling, reasoning) differ in their relative degradation under binarization vs the 4-bit baseline; families are ranked by mean relative degradation with 95% CIs and compared by a Friedman test with seeds as blocks.',
  family: null,
  kernel: null,
  variants: {},
  defaultVariants: [],
  baseline: null,
  grid: {},
  defaultParams: {},
  paramChecks: {},
  pathParams: [],
  minSeeds: 3,
  settings: h6Settings,
  comparisons: () => [],
  timeouts: { startToCloseMinutes: 10, heartbeatSeconds: 60 },
  derivedFrom: ['H1', 'H2', 'H3', 'H4'],
});
