// The Temporal dev server killed (-9) and restarted mid-sweep: every cell completes exactly once,
// none fails, no kernel runs twice (a cell whose completion was lost is found committed).
import { after, before, test } from 'node:test';
import { closeTestDb, ensureStack } from '../support/stack.ts';
import { killServiceGroup, outageSweep } from '../support/workers.ts';

before(async () => { await ensureStack(); });
after(async () => { await closeTestDb(); });

test('Temporal kill -9 and restart mid-sweep: 40 cells, each once, none failed, no kernel re-run', async () => {
  const { readTemporalState, startTemporalDevServer } = await import('../../bin/stack/temporal.ts');
  await outageSweep('temporalkill', {
    kill: async () => { killServiceGroup(readTemporalState()!.pid); },
    restart: async () => { await startTemporalDevServer({ port: Number(process.env.BINLLM_TEMPORAL_PORT) }); },
  });
});
