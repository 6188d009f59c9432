// Expands a validated SweepSpec into cells (hypothesis × variant × grid point × seed × GPU) and
// summarises them as a plan. A variant's gridConstraint sees the cell's params over the spec's
// `inputShapes` (facts of the input files, e.g. the corpus dimension), so itq with m > d is left out
// whether d is the synthetic `dim` or the width of a .npy corpus. Deterministic, so workflows can re-expand after continue-as-new.
import { CONTROL_QUEUE, queueFor, type HypothesisId } from './definition.ts';
import { HYPOTHESES } from './registry.ts';
import type { SweepSpec } from './sweep-spec.ts';

export interface Cell {
  hypothesis: HypothesisId;
  index: number;
  kernel: string;
  variant: string;
  /** kernel params (without seed/device/threads/work_dir, which the worker adds) */
  params: Record<string, unknown>;
  seed: number;
  gpu: string;
  queue: string;
}

function cartesian(axes: Array<[string, Array<number | string>]>): Array<Record<string, number | string>> {
  return axes.reduce<Array<Record<string, number | string>>>(
    (acc, [name, values]) => acc.flatMap((point) => values.map((v) => ({ ...point, [name]: v }))),
    [{}],
  );
}

/** Diagonal order over (variant × grid point) groups and seeds: diagonal d holds group k with seed
 * d − k, k descending, so neighbouring cells (which run at the same time on a multi-slot worker)
 * differ in both variant and seed (all but the first two, which share seed 1). Both kernel caches then see their entry computed before it is needed
 * instead of twice at once: the lm GPT path shares a trained model between the variants of one
 * seed, the pretrained path shares an evaluation between the seeds of a deterministic variant.
 * GPUs are innermost (other queues). */
export function expandHypothesisCells(spec: SweepSpec, h: HypothesisId): Cell[] {
  const def = HYPOTHESES[h];
  if (!def.kernel) return [];
  const grid = spec.grid[h] ?? def.grid;
  const groups: Array<{ variant: string; params: Record<string, unknown> }> = [];
  for (const variant of spec.variants[h] ?? def.defaultVariants) {
    const v = def.variants[variant];
    const axes = Object.entries(grid).filter(([axis]) => !(v.excludeAxes ?? []).includes(axis));
    for (const point of cartesian(axes)) {
      const params = { ...def.defaultParams, ...(spec.datasets[h] ?? {}), ...(spec.params[h] ?? {}), ...v.params, ...point };
      if (v.gridConstraint && !v.gridConstraint.holds({ ...(spec.inputShapes[h] ?? {}), ...params })) continue;
      groups.push({ variant, params });
    }
  }
  const cells: Cell[] = [];
  const S = spec.seeds.length;
  for (let d = 0; d < groups.length + S - 1; d++) {
    for (let k = Math.min(d, groups.length - 1); k >= Math.max(0, d - S + 1); k--) {
      const { variant, params } = groups[k];
      const seed = spec.seeds[d - k];
      for (const gpu of spec.gpus) {
        cells.push({ hypothesis: h, index: cells.length, kernel: def.kernel, variant, seed, gpu, queue: queueFor(gpu), params });
      }
    }
  }
  return cells;
}

export interface HypothesisPlan {
  hypothesis: HypothesisId;
  title: string;
  kernel: string | null;
  cells: number;
  byQueue: Record<string, number>;
  variants: string[];
  seeds: number;
  derivedFrom?: HypothesisId[];
  /** grid points left out because a variant cannot run them, in words */
  skipped: string[];
}

function skippedPoints(spec: SweepSpec, h: HypothesisId): string[] {
  const def = HYPOTHESES[h];
  const out: string[] = [];
  for (const variant of def.kernel ? (spec.variants[h] ?? def.defaultVariants) : []) {
    const v = def.variants[variant];
    if (!v.gridConstraint) continue;
    const axes = Object.entries(spec.grid[h] ?? def.grid).filter(([axis]) => !(v.excludeAxes ?? []).includes(axis));
    const base = { ...def.defaultParams, ...(spec.datasets[h] ?? {}), ...(spec.params[h] ?? {}), ...v.params };
    const bad = cartesian(axes).filter((p) => !v.gridConstraint!.holds({ ...(spec.inputShapes[h] ?? {}), ...base, ...p }));
    if (bad.length) out.push(`${variant}: ${bad.map((p) => Object.entries(p).map(([k, x]) => `${k}=${x}`).join(',')).join('; ')} left out (${v.gridConstraint.description})`);
  }
  return out;
}

export function planSweep(spec: SweepSpec): { hypotheses: HypothesisPlan[]; totalCells: number; controlQueue: string } {
  const hypotheses = spec.hypotheses.map((h): HypothesisPlan => {
    const def = HYPOTHESES[h];
    const cells = expandHypothesisCells(spec, h);
    const byQueue: Record<string, number> = {};
    for (const c of cells) byQueue[c.queue] = (byQueue[c.queue] ?? 0) + 1;
    return {
      hypothesis: h, title: def.title, kernel: def.kernel, cells: cells.length, byQueue,
      variants: def.kernel ? (spec.variants[h] ?? def.defaultVariants) : [], seeds: spec.seeds.length,
      derivedFrom: def.derivedFrom?.filter((d) => spec.hypotheses.includes(d)),
      skipped: skippedPoints(spec, h),
    };
  });
  return { hypotheses, totalCells: hypotheses.reduce((a, p) => a + p.cells, 0), controlQueue: CONTROL_QUEUE };
}
