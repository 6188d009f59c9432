// H0 — not a research hypothesis: the platform's self-check. Its cells run the `noop` kernel, so a
// sweep of H0 measures orchestration (overhead, retries, cancellation, no-worker detection) alone.
import { z } from 'zod';
import { defineHypothesis } from '../definition.ts';

export const h0Settings = z.object({
  /** run every H0 cell alone on its host (exercises exclusive cells) */
  runAlone: z.boolean().default(false),
}).strict();

export const H0 = defineHypothesis({
  id: 'H0',
  title: 'Platform self-check (noop kernel)',
  claim: 'No claim: H0 exercises the orchestration with a kernel that does nothing; it never gets a verdict other than inconclusive.',
  family: null,
  kernel: 'noop',
  variants: {
    a: { description: 'noop run A', params: {} },
    b: { description: 'noop run B', params: {} },
  },
  defaultVariants: ['a'],
  baseline: null,
  grid: {},
  defaultParams: {},
  paramChecks: { metrics: 'positive-int', sleep_ms: 'non-negative-number', progress_steps: 'non-negative-number', crash_once_file: 'string', unit_values: 'non-negative-number' },
  pathParams: [],
  minSeeds: 1,
  settings: h0Settings,
  comparisons: () => [],
  timeouts: { startToCloseMinutes: 10, heartbeatSeconds: 30 },
  exclusive: (settings) => settings.runAlone,
});
