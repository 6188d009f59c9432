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
/** Per-unit values (one per query / window / example; KERNELS.md): `ids` name the units so variants
 * pair on them. Stored as one row with two arrays, not one metric row per unit. */
export const ValuesEvent = z.object({
  event: z.literal('values'),
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'value names are snake_case'),
  unit: z.string().regex(/^[a-z][a-z0-9_]*$/, 'unit names are snake_case (query, window, example, …)'),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  ids: z.array(z.union([z.string().min(1), z.number().int()])).min(1),
  values: z.array(finite).min(1),
}).refine((e) => e.ids.length === e.values.length, { message: 'ids and values must have the same length', path: ['values'] })
  .refine((e) => new Set(e.ids.map(String)).size === e.ids.length, { message: 'ids must be distinct', path: ['ids'] });
export const EndEvent = z.object({
  event: z.literal('end'),
  status: z.enum(['ok', 'error']),
  elapsed_s: finite.optional(),
  message: z.string().optional(),
});
export const KernelEvent = z.discriminatedUnion('event', [StartEvent, ProgressEvent, MetricEvent, ValuesEvent, EndEvent]);
export type KernelEvent = z.infer<typeof KernelEvent>;
export type MetricEventT = z.infer<typeof MetricEvent>;
export type ValuesEventT = z.infer<typeof ValuesEvent>;
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
