// The host lock of exclusive cells (activities/host-lock.ts) and the classifier of unreachable-
// Postgres errors (activities/infra.ts), without services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireHostSlot } from '../../activities/host-lock.ts';
import { isUnreachable, withDb } from '../../activities/infra.ts';

test('an exclusive cell waits for running cells, and holds new ones back until it is done', async () => {
  process.env.BINLLM_HOST_LOCK_DIR = mkdtempSync(path.join(os.tmpdir(), 'binllm-lock-unit-'));
  const a = await acquireHostSlot({ cellKey: 'a', exclusive: false });
  const b = await acquireHostSlot({ cellKey: 'b', exclusive: false });
  assert.equal(b.concurrentAtStart, 1);
  assert.equal(a.others(), 1);
  const waits: string[] = [];
  let xStarted = false;
  const x = acquireHostSlot({ cellKey: 'x', exclusive: true, onWait: (w) => waits.push(w) }).then((s) => { xStarted = true; return s; });
  await sleep(700);
  assert.equal(xStarted, false, 'waits while a and b run');
  assert.match(waits[0], /this cell runs alone, cell [ab] still runs here/);
  // a new ordinary cell does not slip in ahead of the waiting exclusive one
  let cStarted = false;
  const c = acquireHostSlot({ cellKey: 'c', exclusive: false }).then((s) => { cStarted = true; return s; });
  a.release(); b.release();
  const xs = await x;
  assert.equal(xs.concurrentAtStart, 0);
  await sleep(700);
  assert.equal(cStarted, false, 'c waits for the exclusive cell');
  xs.release();
  const cs = await c;
  assert.equal(cs.concurrentAtStart, 0);
  cs.release();
});

test('a dead process does not hold the host', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'binllm-lock-unit-'));
  process.env.BINLLM_HOST_LOCK_DIR = dir;
  writeFileSync(path.join(dir, 'run-999999999-dead.json'), JSON.stringify({ pid: 999_999_999, cellKey: 'ghost', exclusive: true }));
  const s = await acquireHostSlot({ cellKey: 'x', exclusive: true });
  assert.equal(s.concurrentAtStart, 0);
  s.release();
});

test('connection errors are waited out; server-side errors are thrown at once', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5511'), { code: 'ECONNREFUSED' });
  const wrapped = Object.assign(new Error('Failed query: select "status" from "runs"'), { cause: refused });
  assert.equal(isUnreachable(wrapped), true);
  assert.equal(isUnreachable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
  assert.equal(isUnreachable(Object.assign(new Error('duplicate key value'), { code: '23505' })), false);
  let calls = 0;
  const seen: unknown[] = [];
  const v = await withDb('testing', async () => { if (++calls < 3) throw wrapped; return 42; }, (w) => seen.push(w));
  assert.equal(v, 42);
  assert.equal(calls, 3);
  assert.equal(seen.at(-1), null, 'the end of the wait is reported');
  assert.match(JSON.stringify(seen[0]), /ECONNREFUSED/);
  await assert.rejects(withDb('testing', async () => { throw Object.assign(new Error('syntax error'), { code: '42601' }); }), /syntax error/);
});
