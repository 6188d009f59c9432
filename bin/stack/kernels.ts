// Builds the kernels with CMake (incremental: CMake rebuilds only what changed). CUDA targets are
// added when an nvcc is found ($NVCC, $CUDACXX or PATH); the CPU path always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, statePaths } from '../../db/paths.ts';
import { which } from './processes.ts';

export function findNvcc(): string | undefined {
  return process.env.NVCC ?? process.env.CUDACXX ?? which('nvcc');
}

export function buildKernels(opts: { quiet?: boolean; jobs?: number } = {}): string {
  const build = statePaths().kernelBuild;
  if (!which('cmake')) throw new Error('cmake is not installed; the kernels need it (apt-get install cmake g++).');
  mkdirSync(build, { recursive: true });
  const stdio = opts.quiet ? (['ignore', 'ignore', 'inherit'] as const) : (['ignore', 'inherit', 'inherit'] as const);
  const configureArgs = ['-S', path.join(repoRoot, 'kernels'), '-B', build, '-DCMAKE_BUILD_TYPE=Release'];
  // BINLLM_CUDA=OFF builds the CPU path only (CI does, and checks the .cu files with nvcc -c instead).
  const cuda = process.env.BINLLM_CUDA ?? 'AUTO';
  configureArgs.push(`-DBINLLM_CUDA=${cuda}`);
  const nvcc = findNvcc();
  if (cuda !== 'OFF' && nvcc && !existsSync(path.join(build, 'CMakeCache.txt'))) configureArgs.push(`-DCMAKE_CUDA_COMPILER=${nvcc}`);
  let r = spawnSync('cmake', configureArgs, { stdio: [...stdio] });
  if (r.status !== 0) throw new Error(`kernel build: cmake configure failed (exit ${r.status}); see the output above`);
  r = spawnSync('cmake', ['--build', build, '-j', String(opts.jobs ?? 2)], { stdio: [...stdio] });
  if (r.status !== 0) throw new Error(`kernel build: compilation failed (exit ${r.status}); see the output above`);
  return build;
}
