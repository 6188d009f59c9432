/**
 * binllm statistics library: pure functions (no I/O, no clocks, no randomness), safe inside
 * Temporal workflow code. One module per concept; this file re-exports them.
 */
export * from './errors.js';
export * from './types.js';
export * from './specialFunctions.js';
export * from './distributions.js';
export * from './noncentralT.js';
export * from './ranks.js';
export * from './descriptives.js';
export * from './pairedTTest.js';
export * from './claims.js';
export * from './nonInferiority.js';
export * from './superiority.js';
export * from './wilcoxon.js';
export * from './friedman.js';
export * from './multipleComparisons.js';
export * from './power.js';
export * from './bootstrap.js';
