// Content fingerprints of a cell's input files (DESIGN.md step 2, KERNELS.md "Input files are named
// by params"): a changed corpus is a new cell, never an answer from the cache. Hashing a large file
// once is enough: results are memoised by (absolute path, size, mtime) in <BINLLM_HOME>/state/
// fingerprints.json, so a later sweep over the same files only stats them.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { statePaths } from '../db/paths.ts';
import { resolveNamedInput } from './named-inputs.ts';

/** What the cell key and the run row record of one input: size and sha-256 of the content. A
 * folder's hash covers every file in it (relative path, size and hash of each, sorted). */
export interface InputFingerprint {
  path: string;
  kind: 'file' | 'dir' | 'missing';
  /** bytes (a folder: the sum over its files) */
  size: number;
  /** hex sha-256 of the content (a folder: of its sorted "relpath size sha256" lines) */
  sha256: string | null;
  /** folders: number of files hashed */
  files?: number;
}

interface MemoEntry { size: number; mtimeMs: number; sha256: string }

const memoFile = () => path.join(statePaths().state, 'fingerprints.json');
let memo: Map<string, MemoEntry> | null = null;
const inFlight = new Map<string, Promise<string>>();

function loadMemo(): Map<string, MemoEntry> {
  if (memo) return memo;
  memo = new Map();
  try {
    if (existsSync(memoFile())) for (const [k, v] of Object.entries(JSON.parse(readFileSync(memoFile(), 'utf8')) as Record<string, MemoEntry>)) memo.set(k, v);
  } catch { /* a damaged memo only costs re-hashing */ }
  return memo;
}

function saveMemo(): void {
  const file = memoFile();
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(Object.fromEntries(loadMemo())));
  renameSync(tmp, file); // atomic: concurrent workers never read a half-written memo
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (b) => h.update(b)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** sha-256 of one file, memoised by (path, size, mtime). */
async function fileSha(abs: string, size: number, mtimeMs: number): Promise<string> {
  const m = loadMemo().get(abs);
  if (m && m.size === size && m.mtimeMs === mtimeMs) return m.sha256;
  const key = `${abs}\u0000${size}\u0000${mtimeMs}`;
  let p = inFlight.get(key);
  if (!p) {
    p = hashFile(abs).then((sha256) => {
      loadMemo().set(abs, { size, mtimeMs, sha256 });
      saveMemo();
      return sha256;
    }).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Fingerprint of a file or folder named by a param (relative paths resolve against the cwd, as
 * the kernel resolves them). A path that does not exist gets kind 'missing' (the kernel then
 * rejects the config), so the key still differs from the one of an existing file. */
export async function fingerprintPath(p: string): Promise<InputFingerprint> {
  const abs = path.resolve(p);
  const st = await stat(abs).catch(() => null);
  if (!st) return { path: p, kind: 'missing', size: 0, sha256: null };
  if (st.isFile()) return { path: p, kind: 'file', size: st.size, sha256: await fileSha(abs, st.size, st.mtimeMs) };
  const files = await listFiles(abs);
  const lines: string[] = [];
  let size = 0;
  for (const rel of files) {
    const fst = await stat(path.join(abs, rel));
    size += fst.size;
    lines.push(`${rel} ${fst.size} ${await fileSha(path.join(abs, rel), fst.size, fst.mtimeMs)}`);
  }
  return { path: p, kind: 'dir', size, sha256: createHash('sha256').update(lines.join('\n')).digest('hex'), files: files.length };
}

/** Fingerprints of the params in `pathParams` that a cell sets (string values), by param name. A
 * registered name of `kernel` (named-inputs.ts, e.g. model: smollm2-135m) is fingerprinted as the
 * file it resolves to; not installed, it is `missing` under its name. */
export async function fingerprintInputs(params: Record<string, unknown>, pathParams: readonly string[], kernel: string | null = null): Promise<Record<string, InputFingerprint>> {
  const out: Record<string, InputFingerprint> = {};
  for (const k of [...pathParams].sort()) {
    const v = params[k];
    if (typeof v !== 'string' || !v.length) continue;
    const named = resolveNamedInput(kernel, k, v);
    if (named.kind === 'missing') out[k] = { path: `${v} (PyPI ${named.package}, not installed)`, kind: 'missing', size: 0, sha256: null };
    else out[k] = await fingerprintPath(named.kind === 'installed' ? named.path : v);
  }
  return out;
}

/** Forget the in-memory memo (tests that rewrite a file within one mtime tick use this). */
export function resetFingerprintMemo(): void { memo = null; }
