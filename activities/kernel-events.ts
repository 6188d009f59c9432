// The JSON Lines a kernel prints on stdout (KERNELS.md), as zod schemas. Every line is checked;
// a line that does not parse is a contract violation, not something to guess around.
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number (NaN/Inf is a kernel error)');

export const StartEvent = z.object({
  event: z.literal('start'),
  kernel: z.string().min(1),
  version: z.string().min(1),
  device: z.looseObject({ kind: z.enum(['cpu', 'cuda']), name: z.string().optional() }),
  build: z.looseObject({ git: z.string().optional(), hash: z.string().optional(), flags: z.string().optional() }),
});
export const ProgressEvent = z.object({
  event: z.literal('progress'),
  phase: z.string(),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
});
export const MetricEvent = z.object({
  event: z.literal('metric'),
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'metric names are snake_case'),
  value: finite,
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});
export const EndEvent = z.object({
  event: z.literal('end'),
  status: z.enum(['ok', 'error']),
  elapsed_s: finite.optional(),
  message: z.string().optional(),
});
export const KernelEvent = z.discriminatedUnion('event', [StartEvent, ProgressEvent, MetricEvent, EndEvent]);
export type KernelEvent = z.infer<typeof KernelEvent>;
export type MetricEventT = z.infer<typeof MetricEvent>;
export type StartEventT = z.infer<typeof StartEvent>;

export const DescribeOutput = z.looseObject({
  name: z.string().min(1),
  version: z.string().min(1),
  hypotheses: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
  devices: z.array(z.unknown()),
});
export type DescribeOutput = z.infer<typeof DescribeOutput>;

export class KernelContractError extends Error {}

export function parseEventLine(line: string, lineNo: number): KernelEvent {
  let raw: unknown;
  try { raw = JSON.parse(line); } catch {
    throw new KernelContractError(`stdout line ${lineNo} is not JSON: ${line.slice(0, 200)}`);
  }
  const r = KernelEvent.safeParse(raw);
  if (!r.success) {
    const what = r.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
    throw new KernelContractError(`stdout line ${lineNo} is not a valid event (${what}): ${line.slice(0, 200)}`);
  }
  return r.data;
}
