// A sweep's record of one cell (table sweep_cells), written by the cell activity and by the
// bookkeeping activities alike: one row shape, one upsert on (sweep, hypothesis, cell index).
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { sweepCells } from '../db/schema.ts';
import type { Cell } from '../hypotheses/cells.ts';

export function sweepCellRow(sweepId: string, cell: Cell, status: string, reason: string | null, cellKey: string | null = null) {
  return {
    sweepId, hypothesis: cell.hypothesis, cellIndex: cell.index, kernel: cell.kernel, variant: cell.variant, seed: cell.seed,
    gpu: cell.gpu, queue: cell.queue, params: cell.params, cellKey, status, reason, updatedAt: new Date(),
  };
}

/** Inserts or updates rows in batches; a row without a cell_key keeps the one already recorded. */
export async function upsertSweepCells(db: Pick<Db, 'insert'>, rows: ReturnType<typeof sweepCellRow>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db.insert(sweepCells).values(rows.slice(i, i + 500)).onConflictDoUpdate({
      target: [sweepCells.sweepId, sweepCells.hypothesis, sweepCells.cellIndex],
      set: {
        status: sql`excluded.status`, reason: sql`excluded.reason`, updatedAt: sql`excluded.updated_at`,
        cellKey: sql`coalesce(excluded.cell_key, ${sweepCells.cellKey})`,
      },
    });
  }
}
