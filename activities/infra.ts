// Postgres outages are waited out inside the activity, never turned into failed attempts: a query
// that cannot reach the server is retried with backoff until the server answers again, for at
// most BINLLM_INFRA_WAIT_MINUTES (default 60). The wait is reported (heartbeat details, progress)
// so a sweep that stands still says why. Errors the server itself returns (constraints, syntax)
// are not waited on: they are thrown at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';

/** How long one activity waits for an unreachable Postgres before it gives up (minutes). */
export const infraWaitLimitS = () => Number(process.env.BINLLM_INFRA_WAIT_MINUTES ?? 60) * 60;

export const INFRA_FAILURE = 'InfrastructureUnavailable';

/** A wait for a service, as shown in heartbeats and the progress query. */
export interface InfraWait { service: 'postgres'; since: string; what: string; tries: number; error: string }

// Socket errors, and the SQLSTATEs of a server that is shutting down, starting or refusing
// connections (class 08, 57P01–57P03, 53300 too many connections).
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNREACHABLE_MESSAGES = [/Connection terminated/i, /connection error/i, /timeout exceeded when trying to connect/i,
  /terminating connection/i, /the database system is (starting up|shutting down|in recovery)/i, /Client was closed/i];

/** True when `err` (or an error it wraps, as drizzle does) says the server could not be reached. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((re) => re.test(message))) return true;
    const errors = (e as { errors?: unknown[] }).errors; // AggregateError from a dual-stack connect
    if (Array.isArray(errors) && errors.some(isUnreachable)) return true;
  }
  return false;
}

const rootMessage = (err: unknown): string => {
  let e = err as { cause?: unknown; message?: string; code?: string };
  while (e?.cause) e = e.cause as typeof e;
  return e?.message || e?.code || String(err);
};

/**
 * Runs `fn` (Postgres work that is safe to repeat: one statement or one transaction) until it
 * reaches the server. `onWait` is told when a wait starts or continues, and `null` once it is over.
 */
export async function withDb<T>(what: string, fn: () => Promise<T>, onWait?: (w: InfraWait | null) => void): Promise<T> {
  const since = Date.now();
  let tries = 0;
  let delay = 250;
  for (;;) {
    try {
      const r = await fn();
      if (tries) onWait?.(null);
      return r;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      tries++;
      const waitedS = (Date.now() - since) / 1000;
      if (waitedS > infraWaitLimitS()) {
        throw ApplicationFailure.nonRetryable(
          `postgres unreachable for ${Math.round(waitedS)} s while ${what} (limit BINLLM_INFRA_WAIT_MINUTES=${infraWaitLimitS() / 60}): ${rootMessage(err)}`,
          INFRA_FAILURE);
      }
      onWait?.({ service: 'postgres', since: new Date(since).toISOString(), what, tries, error: rootMessage(err) });
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** "waiting for postgres since 12:03:04 UTC (commit results; 7 tries): connect ECONNREFUSED …" */
export function describeWait(w: InfraWait): string {
  return `waiting for ${w.service} since ${w.since.slice(11, 19)} UTC (${w.what}; ${w.tries} tr${w.tries === 1 ? 'y' : 'ies'}): ${w.error}`;
}
