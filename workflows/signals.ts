// Queries and signals shared by the sweep and hypothesis workflows.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { HypothesisProgress, SweepProgress } from './progress.ts';

/** `progress` answers on both workflows: a SweepProgress on the sweep, a HypothesisProgress on a child. */
export const progressQuery = defineQuery<SweepProgress | HypothesisProgress>('progress');
export const hypothesisProgressSignal = defineSignal<[HypothesisProgress]>('hypothesisProgress');
