// Progress bookkeeping shared by the sweep and hypothesis workflows (pure, deterministic).
export interface CellCounts { total: number; ok: number; reused: number; failed: number; noWorker: number; cancelled: number; running: number }

export const emptyCounts = (total = 0): CellCounts => ({ total, ok: 0, reused: 0, failed: 0, noWorker: 0, cancelled: 0, running: 0 });

export function pendingOf(c: CellCounts): number {
  return c.total - c.ok - c.reused - c.failed - c.noWorker - c.cancelled - c.running;
}

export interface HypothesisProgress {
  hypothesis: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  counts: CellCounts;
  byQueue: Record<string, CellCounts>;
  /** queues whose cells timed out waiting for a worker: "no worker polls binllm-<gpu>" */
  noWorkerQueues: Record<string, string>;
  runs: number; // workflow runs so far (continue-as-new count + 1)
}

export interface SweepProgress {
  sweepId: string;
  phase: 'validating' | 'preparing' | 'running' | 'analysing' | 'reporting' | 'completed' | 'failed' | 'cancelled';
  hypotheses: Record<string, HypothesisProgress>;
  totals: CellCounts;
  message?: string;
  report?: { markdownPath: string; htmlPath: string };
  verdicts?: Array<{ hypothesis: string; verdict: string; reason: string }>;
}

export function sumCounts(all: CellCounts[]): CellCounts {
  const s = emptyCounts();
  for (const c of all) for (const k of Object.keys(s) as Array<keyof CellCounts>) s[k] += c[k];
  return s;
}
