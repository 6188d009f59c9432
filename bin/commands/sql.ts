// `binllm sql "<query>"`: read-only SQL against the metrics database, printed as a table.
import { getPool, closeDb } from '../../db/client.ts';

export function formatTable(rows: Record<string, unknown>[], fields: string[]): string {
  const cell = (v: unknown) => v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = fields.map((f) => Math.min(60, Math.max(f.length, ...rows.map((r) => cell(r[f]).length))));
  const fmt = (vals: string[]) => vals.map((v, i) => (v.length > widths[i] ? v.slice(0, widths[i] - 1) + '…' : v.padEnd(widths[i]))).join(' | ');
  return [fmt(fields), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => fmt(fields.map((f) => cell(r[f]))))].join('\n');
}

export async function sql(query: string, opts: { json?: boolean }): Promise<void> {
  const client = await getPool().connect();
  try {
    await client.query('BEGIN READ ONLY');
    const r = await client.query(query);
    await client.query('ROLLBACK');
    const fields = r.fields.map((f) => f.name);
    if (opts.json) console.log(JSON.stringify(r.rows, null, 2));
    else console.log(`${formatTable(r.rows, fields)}\n(${r.rowCount ?? r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`SQL error: ${(e as Error).message}`);
  } finally {
    client.release();
    await closeDb();
  }
}
