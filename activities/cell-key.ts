// A cell's stable identity: sha-256 of its canonical coordinates (KERNELS.md / DESIGN.md step 2),
// including a content fingerprint of every input file its params name, so a changed corpus is a
// new cell. The worker (runCell) and the control host (markReusedCells) both key cells through
// `cellIdentity`, so they always agree.
import { createHash } from 'node:crypto';
import type { Cell } from '../hypotheses/cells.ts';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import { fingerprintInputs, type InputFingerprint } from './input-fingerprint.ts';

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface CellKeyInput {
  kernel: string; kernelVersion: string; variant: string; params: unknown; seed: number; gpu: string;
  /** fingerprints of the input files by param name; absent or empty for cells without file inputs */
  inputs?: Record<string, InputFingerprint>;
}

/** The key of a cell. Inputs enter as "kind:size:sha256" per param; a cell without file inputs
 * keeps the key it had before fingerprints existed (its coordinates are unchanged). */
export function cellKey(c: CellKeyInput): string {
  const coords: Record<string, unknown> = { kernel: c.kernel, kernel_version: c.kernelVersion, variant: c.variant, params: c.params, seed: c.seed, gpu: c.gpu };
  const inputs = Object.entries(c.inputs ?? {});
  if (inputs.length) coords.inputs = Object.fromEntries(inputs.map(([k, f]) => [k, `${f.kind}:${f.size}:${f.sha256 ?? ''}`]));
  return createHash('sha256').update(canonicalJson(coords)).digest('hex').slice(0, 32);
}

/** Key and input fingerprints of a cell (the hypothesis definition's `pathParams` name its inputs). */
export async function cellIdentity(cell: Cell, kernelVersion: string): Promise<{ key: string; inputs: Record<string, InputFingerprint> }> {
  const inputs = await fingerprintInputs(cell.params, HYPOTHESES[cell.hypothesis].pathParams, cell.kernel);
  const key = cellKey({ kernel: cell.kernel, kernelVersion, variant: cell.variant, params: cell.params, seed: cell.seed, gpu: cell.gpu, inputs });
  return { key, inputs };
}
