// A cell's stable identity: sha-256 of its canonical coordinates (KERNELS.md / DESIGN.md step 2).
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function cellKey(c: { kernel: string; kernelVersion: string; variant: string; params: unknown; seed: number; gpu: string }): string {
  const coords = { kernel: c.kernel, kernel_version: c.kernelVersion, variant: c.variant, params: c.params, seed: c.seed, gpu: c.gpu };
  return createHash('sha256').update(canonicalJson(coords)).digest('hex').slice(0, 32);
}
