// The checks of a sweep spec that need the host: do the named kernels exist, do dataset paths
// exist. Shared by the CLI (before submission) and the prepareSweep activity (UI-started sweeps).
import { existsSync } from 'node:fs';
import { HYPOTHESES } from '../hypotheses/registry.ts';
import type { SpecIssue, SweepSpec } from '../hypotheses/sweep-spec.ts';
import { loadRegistry } from './kernel-registry.ts';

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
        if (typeof v === 'string' && !existsSync(v)) issues.push({ path: `$.${source}.${h}.${key}`, message: `path does not exist: ${v}` });
      }
    }
  }
  return issues;
}
