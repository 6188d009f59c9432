// Which activities each kind of worker registers.
import { prepareSweep, recordCells, finishSweep, markReusedCells } from './sweep-records.ts';
import { analyzeSweep } from './analyze.ts';
import { renderSweepReport } from './report.ts';
import { runCell } from './cell.ts';
import { checkQueue } from './queue-health.ts';

export const controlActivities = { prepareSweep, recordCells, finishSweep, markReusedCells, analyzeSweep, renderSweepReport, checkQueue };
export const cellActivities = { runCell };
