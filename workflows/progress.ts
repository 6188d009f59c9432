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
  /** queues nobody serves right now: "no worker polls binllm-h100 since 2026-12-01 12:03:04 UTC" */
  noWorkerQueues: Record<string, string>;
  /** who serves each of the hypothesis's queues, as of the last check */
  queues: Record<string, QueueHealth>;
  runs: number; // workflow runs so far (continue-as-new count + 1)
}

/** A cell queue as the hypothesis workflow sees it (from activities/queue-health.ts). */
export interface QueueHealth {
  /** workers polling the queue or running its cells within timeouts.noWorkerSeconds */
  workers: string[];
  /** their cell slots: the in-flight limit of the queue unless the spec sets one */
  slots: number;
  /** the last time any worker polled the queue or heartbeated one of its cells (ISO) */
  lastSeenAt: string | null;
  /** when the lane started waiting with no worker ever seen (ISO) */
  waitingSince: string;
  /** set while no worker has been seen for timeouts.noWorkerSeconds: since when (ISO) */
  noWorkerSince?: string;
  /** cells of the queue waiting for Postgres or for their host, in words */
  waits: string[];
  checkedAt?: string;
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
