/**
 * The verdict engine (pure; see engine.ts for the phases and rules/*.ts for each hypothesis' rule).
 *
 *   analyzeSweepData({ spec, rows, cells }) → { analyses: HypothesisAnalysis[], tests }
 */
export * from './types.ts';
export { AnalysisInputError, validateRows } from './errors.ts';
export { analyzeSweepData, POINT_SCALE_METRICS } from './engine.ts';
export { planClaim, type ClaimPlan } from './claims.ts';
export { pairComparison, aggregatePoints, RowIndex, type Pair, type PairingResult, type PointData } from './pairing.ts';
export { canonicalJson, formatGrid } from './coords.ts';
