/** Shared vocabulary of the statistics library. */

/**
 * Alternative hypothesis of a test on a location (mean difference, rank sum), in scipy's words:
 * `greater` means H1: location > mu, `less` means H1: location < mu.
 */
export type Alternative = 'two-sided' | 'greater' | 'less';

/** All alternatives, for validation and iteration. */
export const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'greater', 'less'];

/** Which direction of a metric is an improvement (accuracy: higher; perplexity, joules: lower). */
export type BetterDirection = 'higher' | 'lower';

/**
 * A confidence interval. One-sided intervals have an infinite end (`-Infinity` or `Infinity`);
 * `level` is the confidence level, e.g. 0.95.
 */
export interface ConfidenceInterval {
  readonly level: number;
  readonly lower: number;
  readonly upper: number;
}
