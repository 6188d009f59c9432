// The shape of a hypothesis definition (H1–H6). The definitions are the single source that the
// cell expansion, the analysis and the report read. Claims are a closed set: a "within a margin"
// claim can only be a non-inferiority test against a positive margin, so a non-significant
// two-sided test can never be used as evidence of equivalence.
import { z } from 'zod';

/** H1–H6 are the protocol's hypotheses; H0 is the platform's self-check (noop kernel, no claim). */
export const HYPOTHESIS_IDS = ['H0', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6'] as const;
export type HypothesisId = (typeof HYPOTHESIS_IDS)[number];
export const HypothesisIdSchema = z.enum(HYPOTHESIS_IDS);

export const GPU_NAMES = ['cpu', 'a100', 'h100', 'h200', 'b200', 'gb200'] as const;
export type GpuName = (typeof GPU_NAMES)[number];
export const GpuNameSchema = z.enum(GPU_NAMES);
export const queueFor = (gpu: string) => `binllm-${gpu}`;
/** Queue that runs workflows and the bookkeeping activities (DB writes, analysis, reports). */
export const CONTROL_QUEUE = 'binllm';

export type Direction = 'higher' | 'lower';
export const TaskFamilySchema = z.enum(['retrieval', 'classification', 'language-modelling', 'reasoning', 'efficiency']);
export type TaskFamily = z.infer<typeof TaskFamilySchema>;

/** What a comparison claims. There is deliberately no "no significant difference" kind. */
export type Claim =
  | { kind: 'non-inferiority'; margin: number; scale: 'absolute' | 'log' }
  | { kind: 'superiority' }
  | { kind: 'lower-confidence-bound'; threshold: number };

/** How observations are paired. */
export type Pairing =
  /** two metrics of the same run, e.g. binary vs float nDCG computed on the same draw */
  | { kind: 'within-run'; variant: string; variantMetric: string; baselineMetric: string }
  /** the same metric in two variants' runs sharing seed and every other coordinate */
  | { kind: 'across-variants'; metric: string; variant: string; baseline: string }
  /** one metric of one variant against a fixed threshold (no baseline) */
  | { kind: 'single'; metric: string; variant: string };

export interface Comparison {
  id: string;
  description: string;
  pairing: Pairing;
  direction: Direction;
  claim: Claim;
  /** tags / params that define the grid points of the family (one test per grid point) */
  gridKeys: string[];
  /** tests with the same family id are corrected together by Holm */
  family: string;
  /** primary comparisons drive the verdict; secondary ones are reported */
  role: 'primary' | 'secondary';
}

export interface VariantDef {
  description: string;
  params: Record<string, unknown>;
  /** grid axes that do not apply to this variant (e.g. `sign` has m = d, no bits axis) */
  excludeAxes?: string[];
  /** grid points this variant cannot run (e.g. itq needs m ≤ d) are left out of the sweep, and the plan says so */
  gridConstraint?: { description: string; holds: (params: Record<string, unknown>) => boolean };
}

export interface HypothesisDefinition<S extends z.ZodTypeAny = z.ZodTypeAny> {
  id: HypothesisId;
  title: string;
  claim: string;
  family: TaskFamily | null;
  /** kernel name in the registry; null for H6, which only re-reads H1–H4 results */
  kernel: string | null;
  variants: Record<string, VariantDef>;
  defaultVariants: string[];
  baseline: string | null;
  grid: Record<string, Array<number | string>>;
  /** kernel params for a small CPU cell; presets and specs override them */
  defaultParams: Record<string, unknown>;
  /** checks of size-like params: each key must be a positive integer, a list of them, or as stated */
  paramChecks: Record<string, 'positive-int' | 'positive-int-list' | 'non-negative-number' | 'string'>;
  /** params naming input files, checked for existence before a sweep starts */
  pathParams: string[];
  minSeeds: number;
  settings: S;
  comparisons: (settings: z.infer<S>) => Comparison[];
  timeouts: { startToCloseMinutes: number; heartbeatSeconds: number };
  /**
   * Cells that must run alone on their host (timing, energy): while one runs, no other binllm cell
   * runs on that host (activities/host-lock.ts). `true` for every cell, or decided per cell from
   * the hypothesis's settings and the cell's params (e.g. only the timing cells).
   */
  exclusive?: boolean | ((settings: z.infer<S>, params: Record<string, unknown>) => boolean);
  /** H6: which hypotheses' results it reads */
  derivedFrom?: HypothesisId[];
}

export function defineHypothesis<S extends z.ZodTypeAny>(d: HypothesisDefinition<S>): HypothesisDefinition<S> {
  return d;
}
