// The SweepSpec: what a researcher asks to run. Pure validation (no I/O) so the same code checks a
// spec in the CLI before submission and inside SweepWorkflow when it is started from the UI.
// Every problem is reported with its JSON path; nothing is silently defaulted away.
import { z } from 'zod';
import { GPU_NAMES, GpuNameSchema, HYPOTHESIS_IDS, HypothesisIdSchema, type HypothesisId } from './definition.ts';
import { HYPOTHESES } from './registry.ts';
import { PRESETS, type PresetName } from './presets.ts';

const paramRecord = z.record(z.string(), z.unknown());
const perHypothesis = <T extends z.ZodTypeAny>(t: T) => z.partialRecord(HypothesisIdSchema, t);

/** How long cells wait and how often a failing kernel is retried. "No worker" is decided from
 * the queue's pollers (activities/queue-health.ts), never from how long a cell waited for a slot. */
export const TimeoutsSchema = z.object({
  /** a queue nobody polled (and no cell of it heartbeated) for this long is reported "no worker" */
  noWorkerSeconds: z.number().positive().default(60),
  /** give a queue's waiting cells up as no_worker after this long without a worker; unset: wait */
  giveUpNoWorkerSeconds: z.number().positive().optional(),
  heartbeatSeconds: z.number().positive().optional(),
  startToCloseMinutes: z.number().positive().optional(),
  /** kernel launches per cell (crashes, exit 3); waits for Postgres/Temporal never count */
  maxAttempts: z.number().int().positive().optional(),
  /** removed: a busy queue is not a queue without a worker */
  scheduleToStartSeconds: z.never({
    error: 'removed: waiting for a busy worker is not a failure; use timeouts.noWorkerSeconds (report) and timeouts.giveUpNoWorkerSeconds (give up)',
  }).optional(),
}).strict();

export const SweepSpecSchema = z.object({
  name: z.string().min(1).default('sweep'),
  description: z.string().optional(),
  hypotheses: z.array(HypothesisIdSchema).min(1, 'list at least one hypothesis (H1–H6)'),
  seeds: z.array(z.number().int().nonnegative()).min(1, 'the seed list is empty: the seed is the replication unit, give at least 3'),
  gpus: z.array(GpuNameSchema).min(1, 'give at least one GPU generation, e.g. ["cpu"]').default(['cpu']),
  variants: perHypothesis(z.array(z.string()).min(1, 'an empty variant list runs nothing')).default({}),
  grid: perHypothesis(z.record(z.string(), z.array(z.union([z.number(), z.string()])).min(1, 'an empty grid axis runs nothing'))).default({}),
  params: perHypothesis(paramRecord).default({}),
  datasets: perHypothesis(paramRecord).default({}),
  settings: perHypothesis(paramRecord).default({}),
  /** facts read from the input files' headers (e.g. H1 { dim, n_docs, n_queries }), filled in by
   * `binllm sweep start`; the variants' gridConstraints read them (itq needs m ≤ d). Not kernel params. */
  inputShapes: perHypothesis(z.record(z.string(), z.number())).default({}),
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  concurrency: z.partialRecord(GpuNameSchema, z.number().int().positive()).default({}),
  force: z.boolean().default(false),
  report: z.boolean().default(true),
  timeouts: TimeoutsSchema.prefault({}),
}).strict();

export type SweepSpec = z.infer<typeof SweepSpecSchema>;
export type InputShape = Record<string, number>;
export interface SpecIssue { path: string; message: string }
export type SpecResult =
  | { ok: true; spec: SweepSpec; warnings: SpecIssue[] }
  | { ok: false; issues: SpecIssue[] };

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('');
}

/** `{"preset": "quick", ...overrides}` → the preset with top-level keys overridden. */
export function resolvePreset(input: unknown): { value: unknown; issues: SpecIssue[] } {
  if (typeof input === 'string') {
    try { input = JSON.parse(input); } catch (e) {
      return { value: input, issues: [{ path: '$', message: `not valid JSON: ${(e as Error).message}` }] };
    }
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { value: input, issues: [{ path: '$', message: 'a sweep spec must be a JSON object, e.g. {"preset": "quick"}' }] };
  }
  const { preset, ...overrides } = input as Record<string, unknown>;
  if (preset === undefined) return { value: overrides, issues: [] };
  if (typeof preset !== 'string' || !(preset in PRESETS)) {
    return { value: input, issues: [{ path: '$.preset', message: `unknown preset ${JSON.stringify(preset)}; known: ${Object.keys(PRESETS).join(', ')}` }] };
  }
  return { value: { ...JSON.parse(JSON.stringify(PRESETS[preset as PresetName])) /* no structuredClone in the workflow sandbox */, ...overrides }, issues: [] };
}

function checkParam(kind: string, value: unknown): string | undefined {
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  switch (kind) {
    case 'positive-int': return posInt(value) ? undefined : `must be a positive integer, got ${JSON.stringify(value)}`;
    case 'positive-int-list': return Array.isArray(value) && value.length > 0 && value.every(posInt) ? undefined : `must be a non-empty list of positive integers, got ${JSON.stringify(value)}`;
    case 'non-negative-number': return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? undefined : `must be a number ≥ 0, got ${JSON.stringify(value)}`;
    case 'string': return typeof value === 'string' && value.length > 0 ? undefined : `must be a non-empty string, got ${JSON.stringify(value)}`;
    default: return undefined;
  }
}

export function validateSweepSpec(input: unknown): SpecResult {
  const resolved = resolvePreset(input);
  if (resolved.issues.length) return { ok: false, issues: resolved.issues };
  const parsed = SweepSpecSchema.safeParse(resolved.value);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })) };
  }
  const spec = parsed.data;
  const issues: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const seen = new Set<number>();
  spec.seeds.forEach((s, i) => { if (seen.has(s)) issues.push({ path: `$.seeds[${i}]`, message: `seed ${s} is listed twice` }); seen.add(s); });

  for (const key of ['variants', 'grid', 'params', 'datasets', 'settings'] as const) {
    for (const h of Object.keys(spec[key]) as HypothesisId[]) {
      if (!spec.hypotheses.includes(h)) warnings.push({ path: `$.${key}.${h}`, message: `${h} is not in $.hypotheses, so this entry is unused` });
    }
  }
  for (const h of spec.hypotheses) {
    const def = HYPOTHESES[h];
    if (spec.seeds.length < def.minSeeds) {
      warnings.push({ path: '$.seeds', message: `${h} needs at least ${def.minSeeds} seeds; with ${spec.seeds.length} its verdict will be inconclusive (too few seeds)` });
    }
    (spec.variants[h] ?? []).forEach((v, i) => {
      if (!(v in def.variants)) issues.push({ path: `$.variants.${h}[${i}]`, message: `unknown variant "${v}" for ${h}; known: ${Object.keys(def.variants).join(', ') || '(none: ' + h + ' has no runs of its own)'}` });
    });
    const variants = spec.variants[h] ?? def.defaultVariants;
    if (def.baseline && variants.length && !variants.includes(def.baseline)) {
      warnings.push({ path: `$.variants.${h}`, message: `the baseline "${def.baseline}" is not among the variants, so ${h}'s paired tests have nothing to pair with` });
    }
    const settings = def.settings.safeParse(spec.settings[h] ?? {});
    if (!settings.success) {
      for (const i of settings.error.issues) issues.push({ path: jsonPath(['settings', h, ...i.path]), message: i.message });
    } else if (def.resolveSettings) {
      for (const i of def.resolveSettings(settings.data, variants).issues) issues.push({ path: jsonPath(['settings', h, i.key]), message: i.message });
    }
    for (const source of ['params', 'datasets'] as const) {
      for (const [k, v] of Object.entries(spec[source][h] ?? {})) {
        const kind = def.paramChecks[k] ?? (def.pathParams.includes(k) ? 'string' : undefined);
        const problem = kind && checkParam(kind, v);
        if (problem) issues.push({ path: `$.${source}.${h}.${k}`, message: problem });
        if (['seed', 'device', 'threads', 'work_dir'].includes(k)) issues.push({ path: `$.${source}.${h}.${k}`, message: `"${k}" is set by the platform per cell; use $.seeds / $.gpus instead` });
      }
    }
    for (const [axis, values] of Object.entries(spec.grid[h] ?? {})) {
      values.forEach((v, i) => {
        const kind = def.paramChecks[axis];
        const problem = kind && checkParam(kind === 'positive-int-list' ? 'positive-int' : kind, v);
        if (problem) issues.push({ path: `$.grid.${h}.${axis}[${i}]`, message: problem });
      });
    }
    if (def.derivedFrom && !def.derivedFrom.some((d) => spec.hypotheses.includes(d))) {
      warnings.push({ path: '$.hypotheses', message: `${h} re-reads ${def.derivedFrom.join('/')} results; none of them is in this sweep, so its verdict will be inconclusive` });
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, spec, warnings };
}

/** The settings of one hypothesis with its defaults applied (valid specs only). */
export function hypothesisSettings(spec: SweepSpec, h: HypothesisId): Record<string, unknown> {
  const def = HYPOTHESES[h];
  const parsed = def.settings.parse(spec.settings[h] ?? {});
  const resolved = def.resolveSettings ? def.resolveSettings(parsed, spec.variants[h] ?? def.defaultVariants).settings : parsed;
  return resolved as Record<string, unknown>;
}

export function formatIssues(issues: SpecIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

export { GPU_NAMES, HYPOTHESIS_IDS };
