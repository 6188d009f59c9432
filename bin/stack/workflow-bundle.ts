// The workflow bundle, built once per change of the workflow code (workflows/ and the pure
// hypotheses/ it imports) in a separate process, so workers load a ready file instead of running
// webpack in their own process (which leaves a few hundred MB of RSS behind).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, statePaths } from '../../db/paths.ts';
import { tsxImportArg } from './processes.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|json)$/.test(f) ? [p] : [];
  });
}

function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of [...sourceFiles(path.join(repoRoot, 'workflows')), ...sourceFiles(path.join(repoRoot, 'hypotheses')), path.join(repoRoot, 'package-lock.json')]) {
    h.update(path.relative(repoRoot, f)).update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/** Path of an up-to-date workflow bundle, building it in a child process when the code changed. */
export function ensureWorkflowBundle(): string {
  const dir = path.join(path.dirname(statePaths().kernelBuild), 'workflows');
  const file = path.join(dir, `bundle-${sourceHash()}.js`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['--import', tsxImportArg(), fileURLToPath(import.meta.url), file], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !existsSync(file)) throw new Error(`bundling the workflow code failed (exit ${r.status})`);
  return file;
}

// Run as a script: bundle into the file named by argv[2].
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'workflows', 'index.ts'), logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} } as never });
  const out = process.argv[2];
  writeFileSync(`${out}.tmp`, code);
  renameSync(`${out}.tmp`, out);
}
