// The Temporal dev server: find (or build) the `temporal` CLI, start `temporal server start-dev`
// detached with its SQLite file under .binllm/, and stop it again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { statePaths } from '../../db/paths.ts';
import { isAlive, portOpen, stopProcessGroup, waitFor, which } from './processes.ts';

export const TEMPORAL_CLI_VERSION = 'v1.5.1'; // later tags carry a `replace` directive and cannot be go-installed
export const SEARCH_ATTRIBUTES = { BinllmSweepId: 'Keyword', BinllmHypotheses: 'KeywordList' } as const;

export interface TemporalState { address: string; uiUrl: string; pid: number; /** `binllm up --listen` address, if any */ listen?: string }

/** The address a client on this host dials for a server bound to `listen` (a wildcard: loopback). */
export const dialAddress = (listen: string | undefined) => (!listen || listen === '0.0.0.0' || listen === '*' ? '127.0.0.1' : listen);

/** The temporal binary from PATH or .binllm/bin; built with `go install` when Go is present. */
export function findOrInstallTemporal(log: (s: string) => void = console.error): string {
  const local = path.join(statePaths().bin, 'temporal');
  if (existsSync(local)) return local;
  const fromPath = which('temporal');
  if (fromPath) return fromPath;
  if (!which('go')) {
    throw new Error(
      'The `temporal` CLI was not found on PATH or in .binllm/bin, and Go is not installed to build it. ' +
        `Install Go (then binllm runs: go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}) ` +
        'or put a temporal binary on PATH.',
    );
  }
  mkdirSync(statePaths().bin, { recursive: true });
  log(`building the temporal CLI ${TEMPORAL_CLI_VERSION} with go install (a few minutes, once)…`);
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: statePaths().bin },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(local)) throw new Error(`go install of the temporal CLI failed (exit ${r.status}).`);
  return local;
}

export function readTemporalState(): TemporalState | undefined {
  const f = statePaths().temporalState;
  if (!existsSync(f)) return undefined;
  const s = JSON.parse(readFileSync(f, 'utf8')) as TemporalState;
  return isAlive(s.pid) ? s : undefined;
}

/** The dev server on 127.0.0.1, or bound to opts.listen (`binllm up --listen`) for workers on other hosts. */
export async function startTemporalDevServer(opts: { port?: number; uiPort?: number; listen?: string } = {}): Promise<TemporalState> {
  const running = readTemporalState();
  if (running) return running;
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const paths = statePaths();
  const host = dialAddress(opts.listen);
  if (await portOpen(port, host)) {
    throw new Error(`Port ${port} is already in use by another process; stop it or set TEMPORAL_ADDRESS to use that server.`);
  }
  const bin = findOrInstallTemporal();
  mkdirSync(path.dirname(paths.temporalDb), { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.state, { recursive: true });
  const logFd = openSync(path.join(paths.logs, 'temporal.log'), 'a');
  const args = ['server', 'start-dev', '--db-filename', paths.temporalDb, '--port', String(port), '--ui-port', String(uiPort),
    // The dev server's own services dial its frontend on 127.0.0.1, so with --listen it binds all
    // addresses (clients here and elsewhere dial the --listen address).
    '--ip', opts.listen ? '0.0.0.0' : '127.0.0.1', '--log-level', 'warn'];
  for (const [k, v] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${k}=${v}`);
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  const state: TemporalState = {
    address: `${host}:${port}`, uiUrl: `http://${host === '127.0.0.1' ? 'localhost' : host}:${uiPort}`, pid: child.pid!,
    ...(opts.listen ? { listen: opts.listen } : {}),
  };
  await waitFor('the Temporal dev server', async () => {
    if (!isAlive(child.pid)) throw new Error(`temporal server exited at start; see ${path.join(paths.logs, 'temporal.log')}`);
    return (await portOpen(port, host)) && (await portOpen(uiPort, host));
  }, 120_000, `See ${path.join(paths.logs, 'temporal.log')}.`);
  writeFileSync(paths.temporalState, JSON.stringify(state, null, 2));
  return state;
}

export async function stopTemporalDevServer(): Promise<boolean> {
  const s = readTemporalState();
  rmSync(statePaths().temporalState, { force: true });
  if (!s) return false;
  await stopProcessGroup(s.pid);
  return true;
}
