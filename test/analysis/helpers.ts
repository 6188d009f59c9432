// Builders of specs and metric rows for the analysis tests and the benchmark.
import { validateSweepSpec, type SweepSpec } from '../../hypotheses/sweep-spec.ts';
import { expandHypothesisCells } from '../../hypotheses/cells.ts';
import type { HypothesisId } from '../../hypotheses/definition.ts';
import type { CellStatus, MetricRow, Scalar } from '../../hypotheses/analysis/types.ts';

export function spec(input: Record<string, unknown>): SweepSpec {
  const r = validateSweepSpec(input);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.spec;
}

const VARIANT_PARAM: Record<string, string> = { H0: 'x', H1: 'binarizer', H2: 'kv', H3: 'quant', H4: 'quant', H5: 'quant' };
const VARIANT_VALUE: Record<string, Record<string, string>> = {
  H2: { 'bin-kv': 'bin', int4: 'int4', int8: 'int8', fp16: 'fp16', int2: 'int2' },
  H5: { 'bin-kv': 'bin', int4: 'int4' },
};

export function row(
  hypothesis: string, variant: string, seed: number, metric: string, value: number,
  tags: Record<string, Scalar> = {}, opts: { gpu?: string; params?: Record<string, unknown>; cellKey?: string } = {},
): MetricRow {
  const gpu = opts.gpu ?? 'cpu';
  const vp = VARIANT_PARAM[hypothesis];
  const params = { ...(opts.params ?? {}), [vp]: VARIANT_VALUE[hypothesis]?.[variant] ?? variant };
  return {
    hypothesis, variant, seed, gpu, params, metric, value, tags,
    cellKey: opts.cellKey ?? `${hypothesis}|${variant}|${seed}|${gpu}|${JSON.stringify(opts.params ?? {})}`,
  };
}

export function okCells(rows: MetricRow[]): CellStatus[] {
  const seen = new Map<string, CellStatus>();
  for (const r of rows) {
    if (!seen.has(r.cellKey)) seen.set(r.cellKey, { hypothesis: r.hypothesis, variant: r.variant, seed: r.seed, gpu: r.gpu, status: 'ok', reason: null, params: r.params });
  }
  return [...seen.values()];
}

/** Deterministic PRNG (mulberry32) with a normal draw. */
export function rng(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    let u = 0;
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/**
 * A synthetic sweep with every hypothesis' metrics, built from the spec's own cell expansion, so
 * params and coordinates look like the platform's. `extraPerCell` filler metrics pad the row count.
 */
export function syntheticSweep(s: SweepSpec, extraPerCell = 0, seed = 7, tasks = ['sst2', 'mnli', 'qnli']): { rows: MetricRow[]; cells: CellStatus[] } {
  const R = rng(seed);
  const rows: MetricRow[] = [];
  const cells: CellStatus[] = [];
  for (const h of s.hypotheses as HypothesisId[]) {
    for (const c of expandHypothesisCells(s, h)) {
      const cellKey = `${h}-${c.index}`;
      cells.push({ hypothesis: h, variant: c.variant, seed: c.seed, gpu: c.gpu, status: 'ok', reason: null, params: c.params });
      const push = (metric: string, value: number, tags: Record<string, Scalar> = {}) =>
        rows.push({ hypothesis: h, variant: c.variant, seed: c.seed, gpu: c.gpu, params: c.params, cellKey, metric, value, tags });
      const seedEffect = (c.seed % 5) * 0.001;
      switch (h) {
        case 'H1': {
          const bits = (c.params.bits as number | undefined) ?? 256;
          const base = 1 - 40 / bits;
          for (const k of (c.params.ks as number[]) ?? [10, 50]) push('overlap_at_k', Math.min(0.999, base + 0.002 * R.normal() + seedEffect), { bits, k });
          const f = 0.6 + seedEffect + 0.01 * R.normal();
          push('ndcg_at_10_float', f, { bits });
          push('ndcg_at_10_binary', f - 0.3 * (40 / bits) + 0.002 * R.normal(), { bits });
          push('bytes_per_vector', bits / 8, { bits });
          break;
        }
        case 'H2': {
          for (const ctx of (c.params.contexts as number[]) ?? [32]) {
            const ppl = 20 + seedEffect * 100 + 0.3 * R.normal();
            push('ppl', c.variant === 'bin-kv' ? ppl * (1.02 + 0.003 * R.normal()) : ppl, { ctx });
            push('next_token_acc', 70 + R.normal() - (c.variant === 'bin-kv' ? 0.5 : 0), { ctx });
          }
          break;
        }
        case 'H3': case 'H4': {
          for (const task of tasks) {
            const a = 80 + 2 * seedEffect * 100 + 0.5 * R.normal();
            const drop = c.variant === 'bin-embed' ? 6 : c.variant === 'bin-blocks' ? 0.2 : c.variant === 'int4' ? 0 : -0.5;
            push('accuracy', a - drop + 0.2 * R.normal(), { task });
          }
          push('bits_per_param', c.variant === 'int4' ? 4 : c.variant === 'fp16' ? 16 : 1.6);
          push('peak_mem_bytes', c.variant === 'int4' ? 4e8 : c.variant === 'fp16' ? 1.6e9 : 2e8);
          push('total_bits', 1e9 * (1 + 0.001 * R.normal()));
          break;
        }
        case 'H5': {
          for (const ctx of (c.params.contexts as number[]) ?? [1024]) {
            const gain = Math.log2(ctx / 1024) * 0.05;
            push('tokens_per_s', 1000 * (1 + (c.variant === 'bin-kv' ? gain : 0)) * (1 + 0.005 * R.normal()), { ctx });
            push('joules_per_token', 0.5 * (1 - (c.variant === 'bin-kv' ? gain - 0.05 : 0)) * (1 + 0.005 * R.normal()), { ctx });
          }
          break;
        }
        default: break;
      }
      for (let i = 0; i < extraPerCell; i++) push('latency_ms', 10 + R.uniform(), { pct: i });
    }
  }
  return { rows, cells };
}
