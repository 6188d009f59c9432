// `binllm sql "<query>"`: one read-only statement against the metrics database, printed as a table.
// Three fences, outermost first: it connects as the read-only role (db/readonly.ts: SELECT only),
// inside a READ ONLY transaction that is rolled back, and it takes one query statement per call.
import pg from 'pg';
import { readOnlyUrl } from '../../db/readonly.ts';

export function formatTable(rows: Record<string, unknown>[], fields: string[]): string {
  const cell = (v: unknown) => v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = fields.map((f) => Math.min(60, Math.max(f.length, ...rows.map((r) => cell(r[f]).length))));
  const fmt = (vals: string[]) => vals.map((v, i) => (v.length > widths[i] ? v.slice(0, widths[i] - 1) + '…' : v.padEnd(widths[i]))).join(' | ');
  return [fmt(fields), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => fmt(fields.map((f) => cell(r[f]))))].join('\n');
}

/** The statements of a SQL text, split on semicolons outside quotes, dollar quotes and comments;
 * empty and comment-only pieces dropped. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let meaningful = false;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    const rest = text.slice(i);
    let m: RegExpMatchArray | null;
    if (c === ';') {
      if (meaningful) out.push(cur.trim());
      cur = ''; meaningful = false; i++;
      continue;
    }
    let token: string;
    if (rest.startsWith('--')) token = rest.match(/^--[^\n]*/)![0];
    else if (rest.startsWith('/*')) token = blockComment(rest);
    else if ((m = rest.match(/^[eE]'(?:[^'\\]|\\[\s\S]|'')*'?/))) token = m[0];
    else if ((m = rest.match(/^'(?:[^']|'')*'?/))) token = m[0];
    else if ((m = rest.match(/^"(?:[^"]|"")*"?/))) token = m[0];
    else if ((m = rest.match(/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/)) && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const end = rest.indexOf(m[0], m[0].length);
      token = end < 0 ? rest : rest.slice(0, end + m[0].length);
    } else token = c;
    if (!/^\s+$/.test(token) && !token.startsWith('--') && !token.startsWith('/*')) meaningful = true;
    cur += token;
    i += token.length;
  }
  if (meaningful) out.push(cur.trim());
  return out;
}

/** A (nested) block comment at the start of s, or the rest of s when it is not closed. */
function blockComment(s: string): string {
  let depth = 0;
  for (let i = 0; i < s.length - 1; i++) {
    if (s.startsWith('/*', i)) { depth++; i++; } else if (s.startsWith('*/', i)) { depth--; i++; if (depth === 0) return s.slice(0, i + 1); }
  }
  return s;
}

/** Statements `binllm sql` takes: queries. Anything else is refused before it reaches the server. */
const QUERY_KEYWORDS = ['select', 'with', 'table', 'values', 'explain', 'show'] as const;

/** The one query in text, or an error that says why it is refused. */
export function checkQuery(text: string): string {
  const stmts = splitStatements(text);
  if (stmts.length === 0) throw new Error('binllm sql: no statement given');
  if (stmts.length > 1) {
    throw new Error(`binllm sql runs one statement per call; this text has ${stmts.length} ` +
      `(${stmts.map((s) => JSON.stringify(s.length > 30 ? s.slice(0, 29) + '…' : s)).join(', ')}). Run them one at a time.`);
  }
  const keyword = stmts[0].replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '').match(/^[A-Za-z]+/)?.[0]?.toLowerCase() ?? '';
  if (!(QUERY_KEYWORDS as readonly string[]).includes(keyword)) {
    throw new Error(`binllm sql is read-only and runs queries (${QUERY_KEYWORDS.map((k) => k.toUpperCase()).join(', ')}); ` +
      `refused: ${keyword ? keyword.toUpperCase() : JSON.stringify(stmts[0].slice(0, 30))}`);
  }
  return stmts[0];
}

/** A server error as one line that says it was refused, and why. */
export function explainError(e: pg.DatabaseError | Error): string {
  const code = (e as pg.DatabaseError).code;
  if (code === '25006') return `refused: the read-only SQL console cannot write (${e.message})`;
  if (code === '42501') return `refused: the read-only role may not do this (${e.message})`;
  if (code === '57014') return `cancelled: ${e.message} (the read-only role's statement_timeout is 60 s)`;
  return `SQL error: ${e.message}`;
}

export async function sql(query: string, opts: { json?: boolean }): Promise<void> {
  const statement = checkQuery(query);
  const client = new pg.Client({ connectionString: readOnlyUrl(), application_name: 'binllm sql' });
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    // the extended protocol: the server, too, refuses more than one statement
    const r = await client.query({ text: statement, queryMode: 'extended' } as pg.QueryConfig);
    const fields = r.fields.map((f) => f.name);
    if (opts.json) console.log(JSON.stringify(r.rows, null, 2));
    else console.log(`${formatTable(r.rows, fields)}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  } catch (e) {
    throw new Error(explainError(e as Error));
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}
