// ReportData: everything a sweep report shows, loaded from Postgres by reports/load.ts and turned
// into Markdown / HTML by pure renderers. Every table carries the SQL that reproduces it, with
// the sweep id and hypothesis inlined, ready for `binllm sql "…"`.
import type { HypothesisAnalysis, Scalar, TestRecord, UnmatchedObservation } from '../hypotheses/analysis/types.ts';

export interface ReportData {
  /** when the report was rendered (ISO 8601) */
  generatedAt: string;
  sweep: SweepInfo;
  /** one row per hypothesis from the `hypothesis_summary` view */
  summary: { rows: HypothesisSummaryRow[]; sql: string; verdictsSql: string };
  hypotheses: HypothesisSection[];
  provenance: Provenance;
}

export interface SweepInfo {
  id: string;
  name: string;
  description: string | null;
  status: string;
  workflowId: string;
  runId: string | null;
  gitCommit: string | null;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  /** the spec as stored in `sweeps.spec` */
  spec: unknown;
  /** problems found re-validating the stored spec (empty when it is valid) */
  specIssues: string[];
  sql: string;
}

export interface HypothesisSummaryRow {
  hypothesis: string;
  cells: number;
  cellsOk: number;
  cellsFailed: number;
  cellsNoWorker: number;
  cellsPending: number;
  seeds: number;
  metricRows: number;
  verdict: string | null;
  reason: string | null;
}

export interface VerdictInfo {
  verdict: string;
  reason: string;
  keyNumbers: Record<string, unknown>;
  createdAt: string | null;
  sql: string;
}

export interface ComparisonInfo {
  id: string;
  description: string;
  family: string;
  role: 'primary' | 'secondary';
  /** the claim in words, with the margin / threshold used */
  claim: string;
  direction: 'higher' | 'lower';
  /** metric(s) compared, e.g. "ppl" or "ndcg_at_10_binary vs ndcg_at_10_float" */
  metrics: string;
  gridKeys: string[];
  /** margin on the data's scale (the engine's effective margin when it reports one); null for superiority */
  margin: number | null;
  /** log-scale claims compare log values: the margin is a log ratio */
  scale: 'absolute' | 'log' | null;
  /** threshold of a lower-confidence-bound claim */
  threshold: number | null;
}

export interface VariantInfo {
  name: string;
  description: string;
  role: 'baseline' | 'variant';
}

export interface DesignInfo {
  title: string;
  /** the claim as PROTOCOL.md states it (from the hypothesis definition) */
  claim: string;
  kernel: string | null;
  variants: VariantInfo[];
  baseline: string | null;
  grid: Record<string, Array<number | string>>;
  /** kernel params shared by every cell (defaults + spec params + datasets) */
  params: Record<string, unknown>;
  seeds: number[];
  gpus: string[];
  alpha: number;
  correction: string;
  minSeeds: number;
  settings: Record<string, unknown>;
  comparisons: ComparisonInfo[];
  derivedFrom: string[];
}

/** mean, sd and 95% CI of one metric for one variant × GPU × grid point (one value per seed). */
export interface DescriptiveRow {
  variant: string;
  gpu: string;
  metric: string;
  /** tags of the metric merged with the grid-axis params of the cell, e.g. { bits: 256, k: 10 } */
  point: Record<string, Scalar>;
  /** observations (metric rows) */
  n: number;
  /** distinct seeds among them */
  seeds: number;
  mean: number | null;
  sd: number | null;
  /** two-sided 95% t interval of the mean: mean ± t(0.975, n−1)·sd/√n */
  ciLow: number | null;
  ciHigh: number | null;
  min: number | null;
  max: number | null;
}

export interface HoleCell { index: number; variant: string; seed: number; gpu: string; queue: string }

/** Cells of the sweep that produced no usable rows, grouped by status and reason. */
export interface HoleGroup {
  hypothesis: string;
  status: string;
  reason: string | null;
  count: number;
  /** the first cells of the group (the SQL lists all of them) */
  cells: HoleCell[];
}

export interface HolesInfo {
  groups: HoleGroup[];
  total: number;
  /** cells the spec expands to (null when the stored spec does not validate) */
  expectedCells: number | null;
  /** rows in sweep_cells for this hypothesis */
  recordedCells: number;
  sql: string;
}

export interface HypothesisSection {
  id: string;
  design: DesignInfo;
  verdict: VerdictInfo | null;
  summary: HypothesisSummaryRow | null;
  descriptives: { rows: DescriptiveRow[]; sql: string; /** the same query restricted to one metric (one table per metric) */ sqlByMetric: Record<string, string>; otherMetrics: Array<{ metric: string; rows: number }>; otherMetricsSql: string };
  tests: { rows: TestRecord[]; sql: string; sqlByComparison: Record<string, string>; sqlByTest: Record<string, string> };
  holes: HolesInfo;
  /** from verdicts.analysis */
  unmatched: { rows: UnmatchedObservation[]; sql: string };
  warnings: string[];
  analysis: HypothesisAnalysis | null;
}

export interface KernelRunRow {
  kernel: string;
  kernelVersion: string;
  buildHash: string | null;
  buildFlags: string | null;
  gpu: string;
  deviceName: string | null;
  worker: string | null;
  /** content fingerprints of the input files (runs.inputs): param → { path, size, sha256 } */
  inputs?: Record<string, { path?: string; kind?: string; size?: number; sha256?: string | null }>;
  runs: number;
  runsOk: number;
  firstStarted: string | null;
  lastFinished: string | null;
  kernelSeconds: number | null;
}

export interface Provenance {
  runs: { rows: KernelRunRow[]; sql: string };
  /** all holes of the sweep in one query (the per-hypothesis sections show them grouped) */
  holesSql: string;
}
