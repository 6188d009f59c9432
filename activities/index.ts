// Activities by queue. Control activities run beside the workflows on `binllm`; cell activities
// run on `binllm-<gpu>` where the kernels are built.
export { prepareSweep, recordCells, finishSweep, markReusedCells } from './sweep-records.ts';
export { analyzeSweep } from './analyze.ts';
export { renderSweepReport } from './report.ts';
export { runCell } from './cell.ts';
export { checkQueue } from './queue-health.ts';
