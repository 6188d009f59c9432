/**
 * H5 verdict, per GPU generation (grid keys gpu, ctx). A point (gpu, L) passes when BOTH the
 * energy superiority test (joules_per_token of bin-kv lower than int4, one-sided, Holm within
 * `H5-energy`) AND the throughput non-inferiority test (tokens_per_s ratio ≥ 1 − margin on the log
 * scale, Holm within `H5-throughput`) reject.
 * Crossover L* of a GPU = the smallest measured L such that every measured L' ≥ L passes (null when
 * the longest L does not pass).
 *   rejected     — on some GPU, at its longest measured L, bin-kv uses significantly MORE
 *                  joules/token than int4, or is significantly slower than the margin allows
 *                  (opposite one-sided tests, Holm): no energy gain even at the longest context;
 *   inconclusive (no energy telemetry on <gpu…>) — some GPU with H5 rows has no joules_per_token
 *                  rows at all (and nothing was rejected);
 *   supported    — every GPU measured has a crossover L*;
 *   inconclusive — otherwise ("(too few seeds)" when no point has minSeeds seeds).
 */
import { comparisonOf, fnum, fp, missingGridPoints, outcomes, pointNumbers, type PointOutcome, type RuleContext, type RuleResult } from '../context.ts';

export function ruleH5(ctx: RuleContext): RuleResult {
  const s = ctx.settings as { tokensPerSecondMargin: number };
  const ec = comparisonOf(ctx, 'energy-bin-vs-int4');
  const tc = comparisonOf(ctx, 'throughput-bin-vs-int4');
  const energy = outcomes(ec);
  const thr = outcomes(tc);
  // Targeted (gpu, L) points without any observation count as not passing (so L* is never
  // computed over a context length whose cells all failed).
  const missing = [...missingGridPoints(ctx, ec, energy.map((p) => p.grid)), ...missingGridPoints(ctx, tc, thr.map((p) => p.grid))];
  const gpus = new Set<string>();
  const telemetry = new Set<string>();
  for (const [k, rows] of ctx.index.byVariantMetric) {
    for (const r of rows) {
      gpus.add(r.gpu);
      if (k.endsWith('\u0000joules_per_token')) telemetry.add(r.gpu);
    }
  }
  const noTelemetry = [...gpus].filter((g) => !telemetry.has(g)).sort();
  const ctxOf = (p: PointOutcome) => (typeof p.grid.ctx === 'number' ? p.grid.ctx : Number(p.grid.ctx));
  const perGpu: Record<string, unknown> = {};
  const crossover: Record<string, number | null> = {};
  const rejections: string[] = [];
  let anyEnough = false;
  for (const gpu of [...gpus].sort()) {
    const e = energy.filter((p) => p.grid.gpu === gpu);
    const t = thr.filter((p) => p.grid.gpu === gpu);
    const missingLs = missing.filter((g) => g.gpu === gpu && g.ctx !== undefined && g.ctx !== null).map((g) => Number(g.ctx));
    const ls = [...new Set([...[...e, ...t].map(ctxOf), ...(telemetry.has(gpu) ? missingLs : [])])].sort((a, b) => a - b);
    if ([...e, ...t].some((p) => !p.tooFewSeeds)) anyEnough = true;
    const pass = ls.map((L) => {
      const pe = e.find((p) => ctxOf(p) === L);
      const pt = t.find((p) => ctxOf(p) === L);
      return { L, energy: pe, throughput: pt, passes: !!pe?.passed && !!pt?.passed };
    });
    let star: number | null = null;
    for (let i = pass.length - 1; i >= 0 && pass[i].passes; i--) star = pass[i].L;
    crossover[gpu] = star;
    const longest = pass[pass.length - 1];
    if (longest) {
      if (longest.energy?.contradicted) rejections.push(`${gpu} at L = ${longest.L}: joules/token of bin-kv significantly higher than int4 (Holm p = ${fp(longest.energy.opposite.pHolm)})`);
      if (longest.throughput?.contradicted) rejections.push(`${gpu} at L = ${longest.L}: tokens/s of bin-kv significantly below ${1 - s.tokensPerSecondMargin} × int4 (Holm p = ${fp(longest.throughput.opposite.pHolm)})`);
    }
    perGpu[gpu] = {
      telemetry: telemetry.has(gpu), crossoverL: star,
      points: pass.map((x) => ({
        L: x.L, passes: x.passes, energy: x.energy ? pointNumbers(x.energy) : null, throughput: x.throughput ? pointNumbers(x.throughput) : null,
      })),
    };
  }
  const keyNumbers: Record<string, unknown> = {
    crossoverL: crossover,
    gpusWithoutTelemetry: noTelemetry,
    marginsUsed: { tokensPerSecondMargin: s.tokensPerSecondMargin, logMargin: -Math.log(1 - s.tokensPerSecondMargin) },
    perGpu,
  };
  if (!gpus.size) return { verdict: 'inconclusive', reason: 'inconclusive: no H5 metric rows', keyNumbers };
  if (rejections.length) return { verdict: 'rejected', reason: `rejected: no net energy gain at the longest context: ${rejections.join('; ')}`, keyNumbers };
  if (noTelemetry.length) return { verdict: 'inconclusive', reason: `inconclusive (no energy telemetry on ${noTelemetry.join(', ')})`, keyNumbers };
  if (!anyEnough) {
    const maxN = [...energy, ...thr].reduce((m, p) => Math.max(m, p.n), 0);
    return { verdict: 'inconclusive', reason: `inconclusive (too few seeds): at most ${maxN} paired seed(s) per (gpu, L), the protocol needs ≥ ${ctx.minSeeds}`, keyNumbers };
  }
  const noStar = Object.entries(crossover).filter(([, v]) => v === null).map(([g]) => g);
  const starText = Object.entries(crossover).map(([g, v]) => `${g}: L* = ${v ?? 'none'}`).join(', ');
  if (!noStar.length) {
    return { verdict: 'supported', reason: `supported: lower joules/token and non-inferior tokens/s (margin ${fnum(s.tokensPerSecondMargin * 100)}%) from the crossover on every GPU (${starText})`, keyNumbers };
  }
  return { verdict: 'inconclusive', reason: `inconclusive: no crossover L* (energy gain with non-inferior throughput up to the longest L) on ${noStar.join(', ')} (${starText})`, keyNumbers };
}
