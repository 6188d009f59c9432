// A verdict's key numbers (verdicts.key_numbers) as tables a reader can scan: the flat values in
// one key/value table, each nested value as a table of its own (a list of records → one row per
// record; a map of records → one row per key; a map of values → key/value rows). Whatever is
// nested deeper stays compact text in its cell.
import { code, strong, type Block, type Column, type Inline } from './document.ts';
import { fmtValue } from './format.ts';
import { compactJson, keyLabel } from './labels.ts';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || typeof v !== 'object';

/** A value as cell text: scalars formatted, a flat map as "k: v, …", deeper values compact JSON. */
function cellText(v: unknown): Inline[] {
  if (isScalar(v)) return [fmtValue(v)];
  if (Array.isArray(v) && v.every(isScalar)) return [v.map(fmtValue).join(', ')];
  if (isRec(v) && Object.values(v).every(isScalar)) return [Object.entries(v).map(([k, x]) => `${k}: ${fmtValue(x)}`).join(', ')];
  return [code(compactJson(v))];
}

/** The columns of a list of records: the union of their keys, in first-seen order; a flat
 * map-valued key (e.g. lcb per k) becomes one column per inner key ("lcb 10"). */
function recordColumns(records: Rec[]): Array<{ key: string; inner?: string }> {
  const cols: Array<{ key: string; inner?: string }> = [];
  const seen = new Set<string>();
  const add = (key: string, inner?: string) => {
    const id = inner === undefined ? key : `${key}\u0000${inner}`;
    if (!seen.has(id)) { seen.add(id); cols.push({ key, inner }); }
  };
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (isRec(v) && Object.keys(v).length <= 8 && Object.values(v).every(isScalar)) for (const ik of Object.keys(v)) add(k, ik);
      else add(k);
    }
  }
  return cols;
}

function recordsTable(caption: string, records: Rec[], firstColumn?: { header: string; values: string[] }): Block {
  const cols = recordColumns(records);
  const columns: Column[] = [
    ...(firstColumn ? [{ header: firstColumn.header, nowrap: true }] : []),
    ...cols.map((c) => ({ header: c.inner === undefined ? keyLabel(c.key) : `${keyLabel(c.key)} ${c.inner}`, align: 'right' as const })),
  ];
  const rows = records.map((r, i): Inline[][] => [
    ...(firstColumn ? [[strong(firstColumn.values[i])]] : []),
    ...cols.map((c) => {
      const v = r[c.key];
      if (c.inner !== undefined) return isRec(v) ? cellText(v[c.inner]) : ['—'];
      return v === undefined ? ['—'] : cellText(v);
    }),
  ]);
  return { kind: 'table', className: 'key-numbers', caption, columns, rows };
}

/** The key numbers as blocks: one key/value table of the flat entries, then one table per nested entry. */
export function keyNumberBlocks(k: Rec, sql: string): Block[] {
  const entries = Object.entries(k ?? {});
  const flat = entries.filter(([, v]) => isScalar(v) || (Array.isArray(v) && v.every(isScalar)) || (isRec(v) && Object.values(v).every(isScalar) && Object.keys(v).length <= 4));
  const nested = entries.filter((e) => !flat.includes(e));
  const blocks: Block[] = [];
  if (flat.length) {
    blocks.push({
      kind: 'table', className: 'kv', caption: 'Key numbers of the verdict (verdicts.key_numbers)',
      columns: [{ header: 'Key', nowrap: true }, { header: 'Value' }],
      rows: flat.map(([key, v]) => [[strong(keyLabel(key))], cellText(v)]),
    });
  }
  for (const [key, v] of nested) {
    const caption = keyLabel(key);
    if (Array.isArray(v) && v.length && v.every(isRec)) blocks.push(recordsTable(caption, v));
    else if (isRec(v) && Object.values(v).every(isRec)) blocks.push(recordsTable(caption, Object.values(v) as Rec[], { header: 'key', values: Object.keys(v) }));
    else if (isRec(v)) {
      blocks.push({
        kind: 'table', className: 'kv', caption, columns: [{ header: 'Key', nowrap: true }, { header: 'Value' }],
        rows: Object.entries(v).map(([ik, x]) => [[strong(keyLabel(ik))], cellText(x)]),
      });
    } else blocks.push({ kind: 'paragraph', content: [strong(`${caption}: `), ...cellText(v)] });
  }
  // every table shows rows of verdicts.key_numbers: each carries the query that returns them
  for (const b of blocks) if (b.kind === 'table') b.sql = sql;
  return blocks;
}
