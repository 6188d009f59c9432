/**
 * Boundary checks of the verdict engine. A metric row with a NaN or ±Infinity value (or a
 * malformed coordinate) is a data error upstream: it is rejected here with the row's index,
 * cell, metric and what to do, and never turned into a p-value.
 */
import type { MetricRow, CellStatus } from './types.ts';

export class AnalysisInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisInputError';
  }
}

function where(row: MetricRow, i: number): string {
  return `metric row ${i} (hypothesis ${String(row.hypothesis)}, variant ${String(row.variant)}, seed ${String(row.seed)}, gpu ${String(row.gpu)}, cell ${String(row.cellKey)}, metric ${String(row.metric)})`;
}

/** Throws an AnalysisInputError naming the first malformed row. */
export function validateRows(rows: readonly MetricRow[]): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r || typeof r !== 'object') throw new AnalysisInputError(`metric row ${i} is not an object`);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) {
      throw new AnalysisInputError(
        `${where(r, i)}: value ${String(r.value)} is not a finite number; NaN/Infinity is a kernel error, not a metric — fix or delete the row (metrics.cell_key = '${String(r.cellKey)}', name = '${String(r.metric)}') and re-run the cell`,
      );
    }
    if (typeof r.seed !== 'number' || !Number.isInteger(r.seed)) throw new AnalysisInputError(`${where(r, i)}: seed must be an integer`);
    for (const k of ['hypothesis', 'variant', 'gpu', 'cellKey', 'metric'] as const) {
      if (typeof r[k] !== 'string' || r[k].length === 0) throw new AnalysisInputError(`${where(r, i)}: ${k} must be a non-empty string`);
    }
    if (!r.params || typeof r.params !== 'object' || Array.isArray(r.params)) throw new AnalysisInputError(`${where(r, i)}: params must be an object`);
    if (!r.tags || typeof r.tags !== 'object' || Array.isArray(r.tags)) throw new AnalysisInputError(`${where(r, i)}: tags must be an object`);
    for (const [k, v] of Object.entries(r.tags)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new AnalysisInputError(`${where(r, i)}: tag ${k} = ${String(v)} is not finite`);
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
        throw new AnalysisInputError(`${where(r, i)}: tag ${k} must be a string, number or boolean, got ${JSON.stringify(v)}`);
      }
    }
  }
}

export function validateCells(cells: readonly CellStatus[]): void {
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (!c || typeof c.status !== 'string' || typeof c.variant !== 'string' || typeof c.seed !== 'number') {
      throw new AnalysisInputError(`cell status ${i} is malformed: ${JSON.stringify(c)}`);
    }
  }
}
