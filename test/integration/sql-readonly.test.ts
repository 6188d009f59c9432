// The SQL console and the read-only connection string cannot write, against the real Postgres:
// `binllm sql` as a user types it, and the reader's URL the way psql or pandas would use it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { repoRoot } from '../../db/paths.ts';
import { readOnlyUrl, readerRole } from '../../db/readonly.ts';
import { resolveDatabaseUrl } from '../../db/url.ts';
import { checkQuery, splitStatements } from '../../bin/commands/sql.ts';
import { tsxImportArg } from '../../bin/stack/processes.ts';
import { closeTestDb, ensureStack, query, uniqueId } from '../support/stack.ts';

const TABLES = ['metrics', 'runs', 'sweep_cells', 'sweeps', 'stat_tests', 'verdicts', 'reports'];
const key = uniqueId('ro');

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number((await query<{ n: string }>(`select count(*) as n from ${t}`))[0].n);
  return out;
}

function binllmSql(q: string) {
  const r = spawnSync(process.execPath, ['--import', tsxImportArg(), path.join(repoRoot, 'bin', 'cli.ts'), 'sql', q],
    { encoding: 'utf8', env: process.env, timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr.trim() };
}

before(async () => {
  await ensureStack();
  // a few rows to aim at: one run with three metrics
  await query(`insert into runs (cell_key, kernel, kernel_version, variant, params, seed, gpu, status) values ($1, 'noop', '1', 'a', '{}', 1, 'cpu', 'ok')`, [key]);
  for (const m of ['a', 'b', 'c']) await query('insert into metrics (cell_key, name, value) values ($1, $2, 1)', [key, m]);
});
after(async () => {
  await query('delete from metrics where cell_key = $1', [key]);
  await query('delete from runs where cell_key = $1', [key]);
  await closeTestDb();
});

test('the statement splitter sees quotes, dollar quotes and comments', () => {
  assert.deepEqual(splitStatements("select ';' as a -- ; comment\n;  ; /* ; */ "), ["select ';' as a -- ; comment"]);
  assert.equal(splitStatements('select $x$ ; $x$, $$;$$, "a;b", E\'\\\';\' from t').length, 1);
  assert.equal(splitStatements('select 1; commit; delete from metrics; select 2').length, 4);
  assert.equal(checkQuery('  /* hi */ select 1;'), '/* hi */ select 1');
  assert.throws(() => checkQuery('select 1; select 2'), /one statement per call; this text has 2/);
  assert.throws(() => checkQuery('delete from metrics'), /read-only.*refused: DELETE/);
});

test('binllm sql reads through the read-only role', () => {
  const r = binllmSql(`select current_user as who, count(*) as n from metrics where cell_key = '${key}'`);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, new RegExp(`${readerRole(resolveDatabaseUrl())}\\s*\\|\\s*3`));
});

test('binllm sql refuses every write with a clear message, and no row count changes', async () => {
  const before = await counts();
  const attempts: [string, RegExp][] = [
    // the repro: a commit between statements, then a delete
    [`select 1; commit; delete from metrics where cell_key in (select cell_key from metrics limit 3); select 2`, /one statement per call; this text has 4/],
    ['set transaction read write', /refused: SET/],
    [`copy (select 1) to program 'touch /tmp/binllm-pwned'`, /refused: COPY/],
    [`create function f() returns int language sql as $$ select 1 $$`, /refused: CREATE/],
    ['drop table metrics', /refused: DROP/],
    // writes the keyword check lets through reach the server and are refused there
    [`with d as (delete from metrics where cell_key = '${key}' returning 1) select count(*) from d`, /refused: the read-only SQL console cannot write/],
    [`explain analyze delete from metrics where cell_key = '${key}'`, /refused: the read-only SQL console cannot write/],
    ['select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid()', /refused: the read-only role may not do this/],
  ];
  for (const [q, want] of attempts) {
    const r = binllmSql(q);
    assert.equal(r.status, 1, `${q} must fail`);
    assert.match(r.err, want, q);
    assert.equal(r.err.split('\n').length, 1, `one line: ${r.err}`);
  }
  assert.deepEqual(await counts(), before);
});

test('the read-only connection string cannot write either (as psql or pandas would use it)', async () => {
  const before = await counts();
  const owner = new pg.Client({ connectionString: resolveDatabaseUrl() });
  await owner.connect();
  const ownerPid = (await owner.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
  const ro = new pg.Client({ connectionString: readOnlyUrl() });
  await ro.connect();
  const refused = async (sql: string, want: RegExp) => {
    await assert.rejects(ro.query(sql), want, sql);
    await ro.query('rollback');
  };
  try {
    assert.equal((await ro.query('show default_transaction_read_only')).rows[0].default_transaction_read_only, 'on');
    assert.equal((await ro.query('show statement_timeout')).rows[0].statement_timeout, '1min');
    // Lifting the read-only default leaves the privileges: SELECT and nothing else.
    for (const [sql, want] of [
      [`delete from metrics where cell_key = '${key}'`, /permission denied for table metrics/],
      [`update runs set status = 'failed' where cell_key = '${key}'`, /permission denied for table runs/],
      ['insert into sweeps (id) values (\'x\')', /permission denied for table sweeps/],
      [`copy metrics to program 'cat > /tmp/binllm-pwned'`, /permission denied to COPY to or from an external program/],
      ['create function f() returns int language sql as $$ select 1 $$', /permission denied for schema public/],
      ['create table t (x int)', /permission denied for schema public/],
      ['drop table metrics', /must be owner of table metrics/],
      ['alter table runs add column x int', /must be owner of table runs/],
      ['truncate metrics', /permission denied for table metrics/],
      [`select pg_terminate_backend(${ownerPid})`, /permission denied for function pg_terminate_backend/],
    ] as [string, RegExp][]) {
      await ro.query('begin; set transaction read write');
      await refused(sql, want);
    }
    // and with the default on, the server says so
    await refused(`delete from metrics where cell_key = '${key}'`, /cannot execute DELETE in a read-only transaction/);
    assert.equal((await owner.query('select 1 as ok')).rows[0].ok, 1, 'the owner\'s session survived');
  } finally {
    await ro.end();
    await owner.end();
  }
  assert.deepEqual(await counts(), before);
});

test('a table created after the migrations is readable by the reader at once', async () => {
  const t = `ro_probe_${process.pid}`;
  await query(`create table ${t} (x int)`);
  try {
    await query(`insert into ${t} values (7)`);
    const ro = new pg.Client({ connectionString: readOnlyUrl() });
    await ro.connect();
    try { assert.equal((await ro.query(`select x from ${t}`)).rows[0].x, 7); } finally { await ro.end(); }
  } finally {
    await query(`drop table ${t}`);
  }
});
