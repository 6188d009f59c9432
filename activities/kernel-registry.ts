// Kernel registry: name → executable, version and build hash. A sweep names kernels, never paths.
// The platform's own kernels are the `binllm-*` executables of the kernel build; other programs
// that follow KERNELS.md are registered in .binllm/kernels.json ({"name": "/path/to/exe"}).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { statePaths } from '../db/paths.ts';
import { DescribeOutput } from './kernel-events.ts';

export interface KernelEntry { name: string; path: string; version: string; describe: DescribeOutput }

let cache: Map<string, KernelEntry> | undefined;

function candidatePaths(): string[] {
  const out: string[] = [];
  const binDir = path.join(statePaths().kernelBuild, 'bin');
  if (existsSync(binDir)) {
    const files = readdirSync(binDir).sort();
    // binllm-<kernel>-bench beside binllm-<kernel> is that kernel's benchmark driver, not a kernel
    // (binllm-decode-bench, with no binllm-decode, is the H5 kernel itself)
    const isDriver = (f: string) => f.endsWith('-bench') && files.includes(f.slice(0, -'-bench'.length));
    for (const f of files) if (f.startsWith('binllm-') && !isDriver(f)) out.push(path.join(binDir, f));
  }
  const extra = path.join(statePaths().home, 'kernels.json');
  if (existsSync(extra)) out.push(...Object.values(JSON.parse(readFileSync(extra, 'utf8')) as Record<string, string>));
  return out;
}

async function describe(exe: string): Promise<DescribeOutput | undefined> {
  try {
    const r = await execa(exe, ['describe'], { timeout: 20_000 });
    return DescribeOutput.parse(JSON.parse(r.stdout));
  } catch (e) {
    console.error(`kernel registry: ${exe} describe failed: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

export async function loadRegistry(refresh = false): Promise<Map<string, KernelEntry>> {
  if (cache && !refresh) return cache;
  const found = new Map<string, KernelEntry>();
  for (const exe of candidatePaths()) {
    const d = await describe(exe);
    if (d) found.set(d.name, { name: d.name, path: exe, version: d.version, describe: d });
  }
  cache = found;
  return found;
}

export async function getKernel(name: string): Promise<KernelEntry | undefined> {
  return (await loadRegistry()).get(name);
}
