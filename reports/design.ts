// The design section of a hypothesis (variants, grid, seeds, GPUs, margins, α, correction), derived
// purely from its definition, the sweep spec and the settings the analysis actually used.
import type { Claim, Comparison, HypothesisDefinition, Pairing } from '../hypotheses/definition.ts';
import type { AnalysisSettings } from '../hypotheses/analysis/types.ts';
import type { SweepSpec } from '../hypotheses/sweep-spec.ts';
import { fmtNum } from './format.ts';
import type { ComparisonInfo, DesignInfo } from './types.ts';

export function pairingMetrics(p: Pairing): string[] {
  switch (p.kind) {
    case 'within-run': return [p.variantMetric, p.baselineMetric];
    case 'across-variants': return [p.metric];
    case 'single': return [p.metric];
  }
}

function pairingText(p: Pairing): string {
  switch (p.kind) {
    case 'within-run': return `${p.variantMetric} vs ${p.baselineMetric} (same run, ${p.variant})`;
    case 'across-variants': return `${p.metric}: ${p.variant} vs ${p.baseline} (paired by seed)`;
    case 'single': return `${p.metric} of ${p.variant}`;
  }
}

/** The claim as a test, in words, with the margin on the scale it is tested on. */
export function claimText(claim: Claim, direction: 'higher' | 'lower', alpha: number, effectiveMargin?: number): string {
  const level = `${fmtNum((1 - alpha) * 100, 3)}%`;
  switch (claim.kind) {
    case 'non-inferiority': {
      const m = effectiveMargin ?? claim.margin;
      const marginText = claim.scale === 'log' ? `log ${fmtNum(Math.exp(m), 4)} = ${fmtNum(m, 3)}` : fmtNum(m, 3);
      return direction === 'higher'
        ? `non-inferiority, one-sided paired t: H0 mean(d) ≤ −δ, δ = ${marginText}${claim.scale === 'log' ? ' (log scale)' : ''}`
        : `non-inferiority, one-sided paired t: H0 mean(d) ≥ +δ, δ = ${marginText}${claim.scale === 'log' ? ' (log scale)' : ''}`;
    }
    case 'superiority':
      return direction === 'higher' ? 'superiority, one-sided paired t: H1 mean(d) > 0' : 'superiority, one-sided paired t: H1 mean(d) < 0';
    case 'lower-confidence-bound':
      return `one-sided ${level} lower confidence bound of the mean ≥ ${fmtNum(claim.threshold, 4)}`;
  }
}

export function comparisonInfo(c: Comparison, alpha: number, effectiveMargin?: number): ComparisonInfo {
  const margin = c.claim.kind === 'non-inferiority' ? effectiveMargin ?? c.claim.margin : null;
  return {
    id: c.id,
    description: c.description,
    family: c.family,
    role: c.role,
    claim: claimText(c.claim, c.direction, alpha, effectiveMargin),
    direction: c.direction,
    metrics: pairingText(c.pairing),
    gridKeys: c.gridKeys,
    margin,
    scale: c.claim.kind === 'non-inferiority' ? c.claim.scale : null,
    threshold: c.claim.kind === 'lower-confidence-bound' ? c.claim.threshold : null,
  };
}

export interface DesignInput {
  def: HypothesisDefinition;
  /** the validated spec, or null when the stored spec no longer validates */
  spec: SweepSpec | null;
  /** the settings recorded by the analysis, when there is one */
  analysisSettings: AnalysisSettings | null;
}

export function buildDesign({ def, spec, analysisSettings }: DesignInput): DesignInfo {
  const h = def.id;
  const alpha = analysisSettings?.alpha ?? spec?.alpha ?? 0.05;
  const parsed = def.settings.safeParse(spec?.settings[h] ?? {});
  const settings = analysisSettings?.hypothesis ?? (parsed.success ? (parsed.data as Record<string, unknown>) : {});
  const variantNames = def.kernel ? spec?.variants[h] ?? def.defaultVariants : [];
  const comparisons: ComparisonInfo[] = analysisSettings
    ? analysisSettings.comparisons.map((c) => comparisonInfo(c, alpha, c.effectiveMargin))
    : parsed.success ? def.comparisons(parsed.data).map((c) => comparisonInfo(c, alpha)) : [];
  return {
    title: def.title,
    claim: def.claim,
    kernel: def.kernel,
    variants: variantNames.map((name) => ({
      name,
      description: def.variants[name]?.description ?? '(not in the definition)',
      role: name === def.baseline ? 'baseline' : 'variant',
    })),
    baseline: def.baseline,
    grid: spec?.grid[h] ?? def.grid,
    params: def.kernel ? { ...def.defaultParams, ...(spec?.datasets[h] ?? {}), ...(spec?.params[h] ?? {}) } : {},
    seeds: spec?.seeds ?? [],
    gpus: def.kernel ? spec?.gpus ?? [] : [],
    alpha,
    correction: `Holm–Bonferroni within each comparison family (FWER, α = ${fmtNum(alpha, 3)}); Benjamini–Hochberg across the sweep (FDR)`,
    minSeeds: analysisSettings?.minSeeds ?? def.minSeeds,
    settings,
    comparisons,
    derivedFrom: def.derivedFrom ?? [],
  };
}

/** Metrics the descriptives table shows: those the comparisons test, then the protocol's secondary ones. */
export const EXTRA_METRICS: Record<string, string[]> = {
  H1: ['recall_at_k', 'bytes_per_vector'],
  H2: ['nll', 'entropy_rate_nats', 'kv_bits_per_scalar', 'kv_cache_bytes', 'eval_tokens'],
  H3: ['bits_per_param', 'peak_mem_bytes', 'f1', 'mcc'],
  H4: ['total_bits', 'bits_per_param'],
  H5: ['avg_power_w', 'idle_power_w'],
};

export function tableMetrics(def: HypothesisDefinition, spec: SweepSpec | null, analysisSettings: AnalysisSettings | null): string[] {
  let pairings: Pairing[] = analysisSettings?.comparisons.map((c) => c.pairing) ?? [];
  if (!analysisSettings) {
    const parsed = def.settings.safeParse(spec?.settings[def.id] ?? {});
    if (parsed.success) pairings = def.comparisons(parsed.data).map((c) => c.pairing);
  }
  return [...new Set([...pairings.flatMap(pairingMetrics), ...(EXTRA_METRICS[def.id] ?? [])])];
}

/** Grid axes that live in the cell params (e.g. H1's bits); tags carry the rest (k, ctx, task). */
export function paramAxes(def: HypothesisDefinition, spec: SweepSpec | null): string[] {
  return Object.keys(spec?.grid[def.id] ?? def.grid);
}
