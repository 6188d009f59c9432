/**
 * Types of the verdict engine (hypotheses/analysis). Pure data: everything here is JSON-safe
 * (no Infinity, no NaN, no Dates), so a `HypothesisAnalysis` can be stored as-is in
 * `verdicts.analysis` and read back by the report renderer.
 *
 * Input:  `AnalysisInput` = the validated SweepSpec + the sweep's `metric_rows` + its cell statuses.
 * Output: `SweepAnalysis` = one `HypothesisAnalysis` per hypothesis of the spec (in spec order).
 *
 * Conventions used throughout:
 * - d = variant − baseline (absolute scale) or log(variant) − log(baseline) (log scale), one value
 *   per seed (the replication unit). Several observations of one seed inside one grid point (e.g.
 *   two GPUs when `gpu` is not a grid key) are averaged on the analysis scale before testing, and
 *   the coordinates averaged over are listed in `details.aggregatedOver`.
 * - For `single` pairings (a metric against a fixed threshold) d is the metric itself and the
 *   tests are one-sample tests against `mu = threshold`.
 * - Confidence ends that are infinite (one-sided bounds) are stored as null.
 */
import type { HypothesisId, Claim, Direction, Pairing } from '../definition.ts';
import type { SweepSpec } from '../sweep-spec.ts';

/** A scalar coordinate value (tag or param). */
export type Scalar = string | number | boolean;

/** One row of the `metric_rows` view (only the columns the engine needs). */
export interface MetricRow {
  hypothesis: string;
  variant: string;
  seed: number;
  gpu: string;
  /** kernel params of the cell (sweep_cells.params) */
  params: Record<string, unknown>;
  cellKey: string;
  /** metric name */
  metric: string;
  /** must be finite: NaN / ±Infinity is rejected with an AnalysisInputError */
  value: number;
  tags: Record<string, Scalar>;
}

/** One `unit_values` row of a sweep's cell (a kernel's `values` event, KERNELS.md): the per-unit
 * values of one metric and tags, with the unit ids they pair on. */
export interface UnitValueSet {
  hypothesis: string;
  variant: string;
  seed: number;
  gpu: string;
  params: Record<string, unknown>;
  cellKey: string;
  metric: string;
  /** query | window | example … */
  unit: string;
  tags: Record<string, Scalar>;
  ids: string[];
  values: number[];
}

/** One row of `sweep_cells` (status of a cell of the sweep, including cells that never ran). */
export interface CellStatus {
  hypothesis: string;
  variant: string;
  seed: number;
  gpu: string;
  /** pending | running | ok | reused | failed | no_worker | cancelled */
  status: string;
  reason: string | null;
  params?: Record<string, unknown>;
}

export interface AnalysisInput {
  spec: SweepSpec;
  rows: MetricRow[];
  cells: CellStatus[];
  /** per-unit values of the sweep's cells (optional: without them only seed-level tests run) */
  units?: UnitValueSet[];
}

/** Verdict strings as stored in `verdicts.verdict`. H1–H5 use the first three; H6 uses the last
 * three literally (`differs` / `no detectable difference` / `inconclusive`). */
export type Verdict = 'supported' | 'rejected' | 'inconclusive' | 'differs' | 'no detectable difference';

/** Values of the comparison's grid keys at one grid point, e.g. { bits: 256, k: 10 } or { gpu: 'h100', ctx: 4096 }.
 * A grid key that a row carries neither in its tags nor in its params is stored as null. */
export type GridPoint = Record<string, Scalar | null>;

/**
 * Name of a test record (`stat_tests.test`).
 * - `non-inferiority`, `superiority`, `lower-confidence-bound`: the test implied by the comparison's
 *   Claim (the "claim test"); Holm within the comparison's family, BH across the sweep.
 * - `opposite-one-sided`: the same one-sided t-test in the other direction with the same shift
 *   (non-inferiority → "worse by more than the margin"; superiority → "worse than the baseline";
 *   lower-confidence-bound → "mean below the threshold"). It is what rejects a hypothesis.
 *   Holm within the family (separately from the claim tests).
 * - `paired-t-two-sided`: two-sided paired (or one-sample, for `single`) t-test against the same
 *   shift mu, reported beside the claim test.
 * - `wilcoxon-signed-rank`: two-sided Wilcoxon signed-rank test of d − mu (scipy rule: exact when
 *   there are no ties/zeros and n ≤ 50, which covers the protocol's "exact for n ≤ 25").
 * - `deterministic-check`: H3's bits_per_param / peak_mem_bytes check, H4's bit-budget check
 *   (no p-value; `reject` = the check failed).
 * - `friedman`, `wilcoxon-signed-rank` (H6 with two families), `relative-degradation` (H6 per family).
 * - `bootstrap-ci`: two-level bootstrap CI (seeds × units) of the mean of d (units.ts).
 * Unit-level records (comparison `<id>@<unit>`) use the same names with details.unit = the unit.
 */
export type TestName =
  | 'non-inferiority'
  | 'superiority'
  | 'lower-confidence-bound'
  | 'opposite-one-sided'
  | 'paired-t-two-sided'
  | 'wilcoxon-signed-rank'
  | 'deterministic-check'
  | 'friedman'
  | 'relative-degradation'
  /** two-level (seeds × units) percentile bootstrap CI of a mean (units.ts); no p-value */
  | 'bootstrap-ci';

export type Alternative = 'two-sided' | 'greater' | 'less';

/** Free-form but documented details of a test record (`stat_tests.details`). */
export interface TestDetails {
  /** the replication unit the test used: 'seed', or the unit of a values event ('query', 'window' …);
   * a bootstrap CI says 'seed×query' … */
  unit?: string;
  role?: 'primary' | 'secondary';
  /** the comparison's claim, direction and pairing as used */
  claim?: Claim;
  direction?: Direction;
  pairing?: Pairing;
  scale?: 'absolute' | 'log';
  /** shift tested against, on the scale of d (e.g. log 1.05, −0.02, 0.95) */
  mu?: number;
  /** hypotheses in words */
  h0?: string;
  h1?: string;
  /** one-sided (1 − α) confidence bound of mean(d) in the direction of the claim (LCB when higher is better) */
  confidenceBound?: number | null;
  /** log scale: exp(confidenceBound), a bound on the geometric-mean ratio variant/baseline */
  ratioBound?: number | null;
  /** log scale: exp(meanDiff), the geometric-mean ratio */
  ratio?: number | null;
  /** two-sided 95% CI of mean(d) (claim tests store their one-sided bound in ciLow/ciHigh) */
  ci95?: [number, number] | null;
  /** Cohen's d_z = mean(d) / sd(d) (about 0, not mu) */
  dz?: number | null;
  /** seeds that entered the test, in order */
  seeds?: number[];
  /** per-seed d values, in the order of `seeds` */
  differences?: number[];
  /** coordinates over which observations of one seed were averaged (not grid keys) */
  aggregatedOver?: string[];
  /** variant and baseline of the pair ("threshold" for single pairings) */
  variant?: string;
  baseline?: string;
  /** fewer paired seeds than the hypothesis' minSeeds: excluded from Holm/BH, reject = null */
  tooFewSeeds?: boolean;
  /** why no p-value (n < 2 …) */
  insufficient?: string;
  zeroVariance?: boolean;
  /** failing tests: seeds that would give 80% power at the observed sd and observed effect, at level α (unadjusted) */
  seedsFor80Power?: number | null;
  powerNote?: string;
  /** Wilcoxon: method used, scipy statistic conventions, and the smallest achievable p-value */
  wilcoxonMethod?: string;
  minimumAchievablePValue?: number | null;
  /** which Holm family the record's pHolm belongs to (family id + test name) */
  holmFamily?: string;
  /** size of the Holm family */
  holmSize?: number;
  /** anything else a rule records (H3/H4 checks, H6 numbers) */
  [key: string]: unknown;
}

/** One statistical test; fields match the `stat_tests` columns (minus id / sweep_id / hypothesis). */
export interface TestRecord {
  comparison: string;
  family: string;
  metric: string;
  grid: GridPoint;
  test: TestName;
  alternative: Alternative;
  /** the comparison's margin as declared (absolute units, or log units for scale 'log'); threshold for LCB; null when none */
  margin: number | null;
  /** number of paired seeds */
  n: number;
  meanDiff: number | null;
  sdDiff: number | null;
  /** claim and opposite tests: the one-sided (1 − α) bound (other end null); two-sided tests: the two-sided (1 − α) CI */
  ciLow: number | null;
  ciHigh: number | null;
  statistic: number | null;
  df: number | null;
  pValue: number | null;
  /** Holm-adjusted within (family, test name); null when excluded (too few seeds, no p-value) */
  pHolm: number | null;
  /** Benjamini–Hochberg across the sweep, per test name; null when excluded */
  pBh: number | null;
  /** pHolm ≤ α (for deterministic checks: the check failed); null when not decidable */
  reject: boolean | null;
  details: TestDetails;
}

/** Descriptives of one side of a comparison at one grid point (values aggregated per seed). */
export interface GroupDescriptives {
  comparison: string;
  variant: string;
  metric: string;
  grid: GridPoint;
  /** 'absolute' values, or 'log' (then mean/sd/ci are of the raw values too; geoMean added) */
  n: number;
  mean: number | null;
  sd: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  min: number | null;
  max: number | null;
  /** log-scale comparisons: geometric mean of the per-seed values */
  geoMean?: number | null;
  seeds: number[];
}

/** An observation that found no partner, or a pair that was declared invalid, with why. */
export interface UnmatchedObservation {
  comparison: string;
  variant: string;
  metric: string;
  seed: number;
  gpu: string;
  grid: GridPoint;
  /** the non-grid coordinates of the observation (tags, and params that are not variant-defining) */
  coordinates: Record<string, unknown>;
  cellKey: string;
  reason: string;
}

/** A cell of this hypothesis that did not produce rows (failed, no_worker, pending …). */
export interface Hole {
  variant: string;
  seed: number;
  gpu: string;
  status: string;
  reason: string | null;
}

export interface AnalysisSettings {
  alpha: number;
  /** 'holm' within each comparison family (FWER), 'fdr_bh' across the sweep (FDR) */
  correction: { withinFamily: 'holm'; acrossSweep: 'fdr_bh' };
  minSeeds: number;
  /** the hypothesis' settings with defaults applied (margins, thresholds, primary binarizer …) */
  hypothesis: Record<string, unknown>;
  /** the comparisons as evaluated (claims with their margins) */
  comparisons: Array<{
    id: string; family: string; role: 'primary' | 'secondary'; direction: Direction; claim: Claim; pairing: Pairing;
    gridKeys: string[]; description: string;
    /** margin actually used on the data's scale (e.g. 0.01 when a 1-point margin meets accuracy stored as a fraction) */
    effectiveMargin?: number;
  }>;
}

/** Result for one hypothesis: what the report renders and what `verdicts` stores. */
export interface HypothesisAnalysis {
  hypothesis: HypothesisId;
  verdict: Verdict;
  /** one line in words, e.g. "supported: m* = 256; nDCG@10 non-inferior at m* (Holm p = 0.003)" */
  reason: string;
  /** per hypothesis (documented in rules/*.ts): mStar, marginsUsed, worstRatio, crossoverL, familyRanking … */
  keyNumbers: Record<string, unknown>;
  settings: AnalysisSettings;
  tests: TestRecord[];
  groups: GroupDescriptives[];
  unmatched: UnmatchedObservation[];
  holes: Hole[];
  warnings: string[];
}

export interface SweepAnalysis {
  analyses: HypothesisAnalysis[];
  /** total number of test records */
  tests: number;
}

export type { HypothesisId };
