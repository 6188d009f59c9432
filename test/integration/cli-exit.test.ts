// `binllm sweep start --wait` says what failed (issue 11.2): it exits non-zero when cells failed and
// prints each distinct failure reason with its count; a clean sweep exits 0. Runs the real CLI as
// a subprocess against the test stack (real Temporal, real Postgres, the noop kernel).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../db/paths.ts';
import { closeTestDb, ensureStack, startInProcessWorker, uniqueId } from '../support/stack.ts';

let worker: Awaited<ReturnType<typeof startInProcessWorker>>;
before(async () => { await ensureStack(); worker = await startInProcessWorker({ concurrency: 2 }); });
after(async () => { await worker.stop(); await closeTestDb(); });

/** Runs the CLI without blocking this process, whose event loop hosts the worker. */
async function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { tsxImportArg } = await import('../../bin/stack/processes.ts');
  const child = spawn(process.execPath, ['--import', tsxImportArg(), path.join(repoRoot, 'bin', 'cli.ts'), ...args],
    { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => { stdout += b; });
  child.stderr.on('data', (b) => { stderr += b; });
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { status, stdout, stderr };
}

test('sweep start --wait exits 1 with each failure reason and its count when cells fail', async () => {
  const s0 = Date.now() % 1_000_000_000;
  const spec = JSON.stringify({ name: 'cli-fail', hypotheses: ['H0'], seeds: [s0, s0 + 1, s0 + 2], params: { H0: { exit_code: 2 } }, report: false });
  const r = await cli(['sweep', 'start', spec, '--wait', '--id', uniqueId('cli-fail')]);
  assert.equal(r.status, 1, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stderr, /3 of 3 cells produced no result \(3 failed/);
  assert.match(r.stderr, /failure reasons \(cells\):\n\s+3 × H0 failed: /);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no terminal control codes when stdout is not a TTY');
});

test('a clean sweep exits 0', async () => {
  const s0 = Date.now() % 1_000_000_000;
  const spec = JSON.stringify({ name: 'cli-ok', hypotheses: ['H0'], seeds: [s0], params: { H0: { metrics: 1 } }, report: false });
  const r = await cli(['sweep', 'start', spec, '--wait', '--id', uniqueId('cli-ok')]);
  assert.equal(r.status, 0, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stdout, /1\/1 cells done/);
});
