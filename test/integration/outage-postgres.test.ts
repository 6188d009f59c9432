// Postgres killed (-9) and restarted mid-sweep (issue 10 item 2's repro): every cell completes
// exactly once, none fails, and no kernel runs twice: a kernel that finished while the database
// was away is committed from its run folder, not re-run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, ensureStack } from '../support/stack.ts';
import { killServiceGroup, outageSweep } from '../support/workers.ts';

before(async () => { await ensureStack(); });
after(async () => { await closeTestDb(); });

test('Postgres kill -9 and restart mid-sweep: 40 cells, each once, none failed, no kernel re-run', async () => {
  const { runningEmbeddedPg, startEmbeddedPg } = await import('../../bin/stack/postgres.ts');
  const r = await outageSweep('pgkill', {
    kill: async () => {
      const pg = runningEmbeddedPg()!;
      await closeTestDb(); // this process's own connections would only report errors
      killServiceGroup(pg.pid);
    },
    restart: async () => { await startEmbeddedPg(); },
  });
  console.log(`# progress during the outage: ${r.waits[0]}`);
  assert.ok(r.waits.some((w) => /waiting for postgres since/.test(w)), `progress showed the wait: ${JSON.stringify(r.waits)}`);
});
