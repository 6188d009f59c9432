// Imported first by the UI tests: an isolated stack (own home and ports) so a browser test never
// collides with the suite's stack in .binllm/test (7243/8243/5443) or the dev stack (7233/5433).
// ESM evaluates imports in order, so this runs before test/support/stack.ts reads these.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../db/paths.ts';

const defaultHome = path.join(repoRoot, '.binllm', 'test-ui');
process.env.BINLLM_HOME = process.env.BINLLM_UI_TEST_HOME ?? defaultHome;
process.env.BINLLM_TEMPORAL_PORT = process.env.BINLLM_UI_TEST_TEMPORAL_PORT ?? '7253';
process.env.BINLLM_PG_PORT = process.env.BINLLM_UI_TEST_PG_PORT ?? '5453';
process.env.BINLLM_KERNEL_BUILD ??= path.join(repoRoot, '.binllm', 'build', 'kernels');
delete process.env.TEMPORAL_ADDRESS;
delete process.env.DATABASE_URL;

export const UI_URL = `http://localhost:${Number(process.env.BINLLM_TEMPORAL_PORT) + 1000}`;

/**
 * Stops this home's stack and empties it (only the default .binllm/test-ui), so every run starts
 * from nothing: no cells reused from an earlier run, no workflow left running by a killed one.
 * (The temporal CLI lives in the checkout's .binllm/bin, shared by every home.)
 */
export async function freshHome(): Promise<void> {
  const home = process.env.BINLLM_HOME!;
  await (await import('../../bin/commands/stack.ts')).down();
  if (path.resolve(home) === defaultHome) rmSync(home, { recursive: true, force: true });
}
