// `binllm test`: the whole suite, the way CI runs it. Kernel build + ctest + nvcc compile check,
// then every test/**/*.test.ts under node:test against a real Temporal dev server and a real
// embedded Postgres started in an isolated home (.binllm/test, ports 7243/8243/5443).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, statePaths } from '../../db/paths.ts';
import { buildKernels } from '../stack/kernels.ts';
import { freePort, portOpen, tsxImportArg } from '../stack/processes.ts';

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? testFiles(p) : f.endsWith('.test.ts') ? [p] : [];
  });
}

/** A Temporal port whose UI port (+1000) is free too, and a Postgres port: the given ones when set,
 * else the defaults when free, else free ones picked by the OS. */
async function testPorts(temporal: number, pg: number, envTemporal?: string, envPg?: string): Promise<{ temporal: string; pg: string }> {
  let t = envTemporal ? Number(envTemporal) : temporal;
  if (!envTemporal) {
    while ((await portOpen(t)) || (await portOpen(t + 1000)) || t + 1000 > 65535) t = await freePort();
  }
  let p = envPg ? Number(envPg) : pg;
  if (!envPg) while (await portOpen(p)) p = await freePort();
  return { temporal: String(t), pg: String(p) };
}

export async function runTests(opts: { only?: string; skipKernels?: boolean }): Promise<void> {
  const kernelBuild = statePaths().kernelBuild;
  if (!opts.skipKernels) {
    console.error('== kernels: build');
    buildKernels({ quiet: true });
    console.error('== kernels: ctest');
    const ct = spawnSync('ctest', ['--test-dir', kernelBuild, '--output-on-failure', '-j', '2'], { stdio: 'inherit' });
    if (ct.status !== 0) { console.error('kernel tests failed'); process.exit(1); }
  }
  const files = testFiles(path.join(repoRoot, 'test')).filter((f) => !opts.only || f.includes(opts.only));
  if (!files.length) { console.error(`no test files match ${opts.only ?? ''}`); process.exit(1); }
  // Default ports, or free ones when something else (a stale stack, another checkout) holds them.
  const suite = await testPorts(7243, 5443, process.env.BINLLM_TEST_TEMPORAL_PORT, process.env.BINLLM_TEST_PG_PORT);
  const ui = await testPorts(7253, 5453, process.env.BINLLM_UI_TEST_TEMPORAL_PORT, process.env.BINLLM_UI_TEST_PG_PORT);
  const env = {
    ...process.env,
    BINLLM_HOME: path.join(repoRoot, '.binllm', 'test'),
    BINLLM_KERNEL_BUILD: kernelBuild,
    BINLLM_TEMPORAL_PORT: suite.temporal,
    BINLLM_PG_PORT: suite.pg,
    BINLLM_UI_TEST_TEMPORAL_PORT: ui.temporal,
    BINLLM_UI_TEST_PG_PORT: ui.pg,
  };
  console.error(`== node:test (${files.length} files)`);
  const r = spawnSync(process.execPath, ['--import', tsxImportArg(), '--test', '--test-concurrency=1', ...files], { stdio: 'inherit', env });
  // Tear the test stack down quietly so the runner's summary stays the last thing printed.
  spawnSync(process.execPath, ['--import', tsxImportArg(), path.join(repoRoot, 'bin', 'cli.ts'), 'down'], { stdio: 'ignore', env });
  process.exit(r.status ?? 1);
}
