/**
 * The verdict engine: validated SweepSpec + metric rows + cell statuses → one HypothesisAnalysis
 * per hypothesis. Pure and deterministic (no I/O, no clock, no randomness), so it runs in
 * activities, tests and workflow code alike.
 *
 * Phases:
 *  A. per hypothesis and comparison (definition.comparisons(settings)): pair (pairing.ts), group by
 *     grid point and seed, and run the claim / opposite / two-sided t / Wilcoxon tests (point-tests.ts);
 *  B. Holm within each (hypothesis, family, test); Benjamini–Hochberg across the sweep (corrections.ts);
 *     seeds for 80% power for tests that did not reject;
 *  C. the verdict rule of each hypothesis (rules/h1.ts … h6.ts), H6 last since it reads H1–H4.
 * Beside each comparison's seed-level tests, the same tests over the units of the kernels' values
 * events (units.ts: queries, windows …) and a two-level bootstrap CI, as comparison `<id>@<unit>`;
 * a rule decides with those when the variant is deterministic in the seed (context.ts `decisive`).
 */
import { HYPOTHESIS_IDS, type HypothesisId } from '../definition.ts';
import { HYPOTHESES } from '../registry.ts';
import { hypothesisSettings } from '../sweep-spec.ts';
import { planClaim } from './claims.ts';
import type { EvaluatedComparison, RuleContext } from './context.ts';
import { applyBh, applyHolm } from './corrections.ts';
import { validateCells, validateRows } from './errors.ts';
import { aggregatePoints, pairComparison, RowIndex } from './pairing.ts';
import { addPower, testPoint } from './point-tests.ts';
import { PAIR_FILTERS, RULES } from './rules/index.ts';
import { UnitIndex, unitLevelTests, validateUnitSets } from './units.ts';
import type {
  AnalysisInput, AnalysisSettings, CellStatus, GroupDescriptives, Hole, HypothesisAnalysis, MetricRow, SweepAnalysis, TestRecord,
  UnitValueSet, UnmatchedObservation,
} from './types.ts';

/** Metrics whose margins are declared in points on a 0–100 scale. When every stored value of such a
 * metric in a comparison lies in [−1, 1] the values are fractions, and the margin is divided by 100
 * (with a warning) so that "1 point" keeps its meaning. */
export const POINT_SCALE_METRICS: ReadonlySet<string> = new Set(['accuracy', 'f1', 'mcc', 'task_accuracy']);

interface Work {
  h: HypothesisId;
  settings: Record<string, unknown>;
  comparisons: Map<string, EvaluatedComparison>;
  records: TestRecord[];
  groups: GroupDescriptives[];
  unmatched: UnmatchedObservation[];
  warnings: string[];
  analysisSettings: AnalysisSettings;
}

function evaluateHypothesis(h: HypothesisId, input: AnalysisInput, index: RowIndex, units: UnitIndex): Work {
  const def = HYPOTHESES[h];
  const alpha = input.spec.alpha;
  const settings = hypothesisSettings(input.spec, h);
  const comps = def.comparisons(settings as never);
  const work: Work = {
    h, settings, comparisons: new Map(), records: [], groups: [], unmatched: [], warnings: [],
    analysisSettings: {
      alpha, correction: { withinFamily: 'holm', acrossSweep: 'fdr_bh' }, minSeeds: def.minSeeds, hypothesis: settings, comparisons: [],
    },
  };
  for (const c of comps) {
    const paired = pairComparison(index, c.id, c.pairing, c.gridKeys);
    const filter = PAIR_FILTERS[h];
    const filterRecords: TestRecord[] = [];
    if (filter) {
      const f = filter(index, c, paired, settings);
      paired.pairs = f.pairs;
      paired.unmatched.push(...f.invalid);
      filterRecords.push(...f.records);
      work.warnings.push(...f.warnings);
    }
    let effectiveMargin: number | undefined;
    if (c.claim.kind === 'non-inferiority' && c.claim.scale === 'absolute' && POINT_SCALE_METRICS.has(paired.metric) && paired.pairs.length) {
      const fractions = paired.pairs.every((p) => Math.abs(p.variantValue) <= 1 && (p.baselineValue === null || Math.abs(p.baselineValue) <= 1));
      if (fractions) {
        effectiveMargin = c.claim.margin / 100;
        work.warnings.push(`${c.id}: every ${paired.metric} value is in [−1, 1], so it is read as a fraction and the ${c.claim.margin}-point margin is applied as ${effectiveMargin}`);
      }
    }
    const plan = planClaim(c, effectiveMargin);
    const points = aggregatePoints(paired.pairs, c.gridKeys, plan.scale, `${h} ${c.id}`);
    const ec: EvaluatedComparison = {
      comparison: c, plan, effectiveMargin: plan.margin, points, records: [], groups: [], unmatched: paired.unmatched,
      variant: paired.variant, baseline: paired.baseline,
    };
    ec.records.push(...filterRecords);
    for (const point of points) {
      const { records, groups } = testPoint({
        comparison: c, plan, alpha, minSeeds: def.minSeeds, variantLabel: paired.variant, baselineLabel: paired.baseline,
        metric: paired.metric, baselineMetric: paired.baselineMetric,
      }, point);
      ec.records.push(...records);
      ec.groups.push(...groups);
    }
    const averaged = [...new Set(points.flatMap((p) => p.aggregatedOver))].sort();
    if (averaged.length) {
      const n = points.filter((p) => p.aggregatedOver.length).length;
      work.warnings.push(`${c.id}: at ${n} grid point(s) several observations of one seed were averaged (${plan.scale === 'log' ? 'geometric' : 'arithmetic'} mean) over ${averaged.join(', ')}, which are not grid keys of this comparison`);
    }
    if (!paired.pairs.length) {
      work.warnings.push(`${c.id}: no paired observations (${c.pairing.kind === 'within-run' ? `${c.pairing.variantMetric} / ${c.pairing.baselineMetric} of ${c.pairing.variant}` : `${paired.metric} of ${paired.variant}${c.pairing.kind === 'across-variants' ? ` vs ${paired.baseline}` : ''}`})`);
    }
    work.comparisons.set(c.id, ec);
    work.records.push(...ec.records);
    // The same comparison over the units of the kernel's values events (units.ts), when there are any.
    if (units.size) {
      const u = unitLevelTests(index, units, c, plan.scale, plan.margin, {
        alpha, minSeeds: def.minSeeds, variantLabel: paired.variant, baselineLabel: paired.baseline, metric: paired.metric, baselineMetric: paired.baselineMetric,
      });
      ec.unitLevels = [...u.byUnit.keys()];
      const all = [...u.byUnit.values()].flatMap((x) => x.points);
      ec.seedInvariant = all.length > 0 && all.every((p) => p.seedInvariant);
      for (const [unit, x] of u.byUnit) {
        const uc = { ...c, id: `${c.id}@${unit}`, family: `${c.family}@${unit}` };
        work.comparisons.set(uc.id, {
          comparison: uc, plan: x.plan, effectiveMargin: x.plan.margin, points: [], records: x.records, groups: [], unmatched: [],
          variant: paired.variant, baseline: paired.baseline, unit,
        });
        work.records.push(...x.records);
      }
    }
    work.groups.push(...ec.groups);
    work.unmatched.push(...ec.unmatched);
    work.analysisSettings.comparisons.push({
      id: c.id, family: c.family, role: c.role, direction: c.direction, claim: c.claim, pairing: c.pairing, gridKeys: c.gridKeys,
      description: c.description, ...(effectiveMargin !== undefined ? { effectiveMargin } : {}),
    });
  }
  return work;
}

function holesOf(cells: readonly CellStatus[]): Hole[] {
  return cells
    .filter((c) => c.status !== 'ok' && c.status !== 'reused')
    .map((c) => ({ variant: c.variant, seed: c.seed, gpu: c.gpu, status: c.status, reason: c.reason }));
}

/** Drops undefined object entries and turns non-finite numbers into null (in place), so the
 * analysis round-trips through JSON / jsonb unchanged. */
function jsonSafe<T>(x: T): T {
  const visit = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i]);
      return v;
    }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (o[k] === undefined) delete o[k];
        else o[k] = visit(o[k]);
      }
    }
    return v;
  };
  return visit(x) as T;
}

/** Runs the whole analysis. Throws AnalysisInputError on malformed input (NaN/Inf values …). */
export function analyzeSweepData(input: AnalysisInput): SweepAnalysis {
  validateRows(input.rows);
  validateCells(input.cells);
  validateUnitSets(input.units ?? []);
  const { spec } = input;
  const alpha = spec.alpha;
  const rowsByH = new Map<HypothesisId, MetricRow[]>();
  const cellsByH = new Map<HypothesisId, CellStatus[]>();
  for (const id of HYPOTHESIS_IDS) { rowsByH.set(id, []); cellsByH.set(id, []); }
  for (const r of input.rows) rowsByH.get(r.hypothesis as HypothesisId)?.push(r);
  for (const c of input.cells) cellsByH.get(c.hypothesis as HypothesisId)?.push(c);
  const indexes = new Map<HypothesisId, RowIndex>();
  for (const id of HYPOTHESIS_IDS) indexes.set(id, new RowIndex(HYPOTHESES[id], rowsByH.get(id)!, cellsByH.get(id)!));
  const unitsByH = new Map<HypothesisId, UnitValueSet[]>();
  for (const u of input.units ?? []) {
    const list = unitsByH.get(u.hypothesis as HypothesisId);
    if (list) list.push(u); else unitsByH.set(u.hypothesis as HypothesisId, [u]);
  }

  const listed = [...new Set(spec.hypotheses)];
  const order = [...listed.filter((h) => h !== 'H6'), ...listed.filter((h) => h === 'H6')];
  // A. tests
  const works = new Map<HypothesisId, Work>();
  for (const h of order) works.set(h, evaluateHypothesis(h, input, indexes.get(h)!, new UnitIndex(unitsByH.get(h) ?? [])));
  // B. corrections and power
  for (const w of works.values()) applyHolm(w.records, alpha);
  applyBh([...works.values()].flatMap((w) => w.records), alpha);
  for (const w of works.values()) addPower(w.records, alpha);
  // Power figures of unit-level tests count units, not seeds.
  for (const w of works.values()) {
    for (const r of w.records) {
      if (r.details.unit && r.details.seedsFor80Power !== undefined) { r.details.unitsFor80Power = r.details.seedsFor80Power; delete r.details.seedsFor80Power; }
    }
  }
  // C. verdicts
  const previous = new Map<HypothesisId, HypothesisAnalysis>();
  for (const h of order) {
    const w = works.get(h)!;
    const def = HYPOTHESES[h];
    const extra: TestRecord[] = [];
    const ctx: RuleContext = {
      hypothesis: h, def, spec, settings: w.settings, alpha, minSeeds: def.minSeeds, comparisons: w.comparisons,
      index: indexes.get(h)!, cells: cellsByH.get(h)!, previous, indexes,
      addTests: (r) => extra.push(...r), addUnmatched: (u) => w.unmatched.push(...u), addGroups: (g) => w.groups.push(...g),
      warn: (m) => w.warnings.push(m),
    };
    const result = RULES[h](ctx);
    // Every record says which replication unit it used (unit-level ones already do).
    for (const r of [...w.records, ...extra]) r.details.unit ??= 'seed';
    const holes = holesOf(cellsByH.get(h)!);
    let reason = result.reason;
    if (holes.length) {
      const byStatus = new Map<string, number>();
      for (const x of holes) byStatus.set(x.status, (byStatus.get(x.status) ?? 0) + 1);
      const text = `${holes.length} of ${cellsByH.get(h)!.length} cells produced no rows (${[...byStatus].map(([st, n]) => `${n} ${st}`).join(', ')})`;
      w.warnings.push(text);
      // An undecided verdict names the holes, since they are often why.
      if (result.verdict === 'inconclusive') reason = `${reason}; ${text}`;
    }
    if (w.unmatched.length) w.warnings.push(`${w.unmatched.length} observation(s) could not be paired (see unmatched)`);
    const analysis: HypothesisAnalysis = jsonSafe({
      hypothesis: h, verdict: result.verdict, reason, keyNumbers: result.keyNumbers, settings: w.analysisSettings,
      tests: [...w.records, ...extra], groups: w.groups, unmatched: w.unmatched, holes, warnings: w.warnings,
    });
    previous.set(h, analysis);
  }
  const analyses = listed.map((h) => previous.get(h)!);
  return { analyses, tests: analyses.reduce((s, a) => s + a.tests.length, 0) };
}
