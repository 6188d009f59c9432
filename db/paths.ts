// Where binllm keeps its local state (embedded Postgres, Temporal's SQLite file, kernel builds,
// logs, reports). One folder, `.binllm/` beside the checkout unless BINLLM_HOME says otherwise.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function binllmHome(): string {
  return path.resolve(process.env.BINLLM_HOME ?? path.join(repoRoot, '.binllm'));
}

export const statePaths = () => {
  const home = binllmHome();
  return {
    home,
    state: path.join(home, 'state'),
    logs: path.join(home, 'logs'),
    pgData: path.join(home, 'pg', 'data'),
    pgState: path.join(home, 'state', 'postgres.json'),
    temporalDb: path.join(home, 'temporal', 'temporal.db'),
    temporalState: path.join(home, 'state', 'temporal.json'),
    // tools built once per checkout (the temporal CLI), shared by every BINLLM_HOME (tests, benchmarks)
    bin: path.join(repoRoot, '.binllm', 'bin'),
    kernelBuild: process.env.BINLLM_KERNEL_BUILD ?? path.join(home, 'build', 'kernels'),
    runs: path.join(home, 'runs'),
    cache: path.join(home, 'cache'),
    reports: path.join(home, 'reports'),
  };
};
