// The read-only connection: the role `<database>_reader` that migration 0003 creates (SELECT on
// schema public, read-only sessions, a statement timeout), its password and its connection string.
// `binllm sql` connects with it; `binllm status` prints it for psql, pandas or Grafana.
//
// Password: generated here (24 random bytes), set with ALTER ROLE and kept in
// BINLLM_HOME/state/postgres-reader.json (mode 0600) beside the owner's credentials; never in a
// migration, a log or the repository. BINLLM_READONLY_URL overrides it (a role made by a DBA).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { repoRoot, statePaths } from './paths.ts';
import { resolveDatabaseUrl } from './url.ts';

export const READONLY_MIGRATION = path.join(repoRoot, 'db', 'migrations', '0003_readonly_role.sql');

interface StoredReader { target: string; user: string; password: string }

const readerFile = () => path.join(statePaths().state, 'postgres-reader.json');

/** host:port/database of a connection string: which server a stored password belongs to. */
function target(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

export function readerRole(ownerUrl: string): string {
  return `${decodeURIComponent(new URL(ownerUrl).pathname.slice(1)) || 'postgres'}_reader`;
}

/** The owner's connection string with the reader's name and password. */
function readerUrl(ownerUrl: string, user: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

function stored(ownerUrl: string): StoredReader | undefined {
  if (!existsSync(readerFile())) return undefined;
  const s = JSON.parse(readFileSync(readerFile(), 'utf8')) as StoredReader;
  return s.target === target(ownerUrl) ? s : undefined;
}

/** The read-only connection string, or an error saying how to get one. Never the owner's URL. */
export function readOnlyUrl(): string {
  if (process.env.BINLLM_READONLY_URL) return process.env.BINLLM_READONLY_URL;
  const owner = resolveDatabaseUrl();
  const s = stored(owner);
  if (!s) {
    throw new Error(`No read-only connection for ${target(owner)}: run \`./binllm up\` (it creates the role ${readerRole(owner)}), ` +
      'or set BINLLM_READONLY_URL to a read-only role\'s connection string.');
  }
  return readerUrl(owner, s.user, s.password);
}

async function canLogIn(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try { await c.connect(); await c.query('select 1'); return true; } catch { return false; } finally { await c.end().catch(() => undefined); }
}

export type ReaderSetup = { url: string } | { hint: string };

/**
 * Runs after every migration: re-applies 0003 (idempotent; grants tables added since, by any
 * role), then makes sure the reader can log in with a password we hold. Returns its connection
 * string, or a one-line hint when the owner's privileges do not allow it.
 */
export async function ensureReadOnlyRole(ownerUrl = resolveDatabaseUrl()): Promise<ReaderSetup> {
  const role = readerRole(ownerUrl);
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(readFileSync(READONLY_MIGRATION, 'utf8'));
    if (process.env.BINLLM_READONLY_URL) return { url: process.env.BINLLM_READONLY_URL };
    const exists = (await owner.query('select 1 from pg_roles where rolname = $1', [role])).rowCount === 1;
    const me = (await owner.query<{ may: boolean }>('select rolsuper or rolcreaterole as may from pg_roles where rolname = current_user')).rows[0];
    const byHand = `as a superuser run \`psql "<url>" -f db/migrations/0003_readonly_role.sql\` and \`ALTER ROLE ${role} PASSWORD '<pw>'\`, ` +
      `then set BINLLM_READONLY_URL=postgres://${role}:<pw>@${target(ownerUrl)}`;
    if (!exists) return { hint: `no read-only role ${role}: ${new URL(ownerUrl).username} may not create roles; ${byHand}` };
    const s = stored(ownerUrl);
    if (s && await canLogIn(readerUrl(ownerUrl, s.user, s.password))) return { url: readerUrl(ownerUrl, s.user, s.password) };
    if (!me?.may) return { hint: `read-only role ${role} exists but binllm holds no password for it; ${byHand}` };
    const password = randomBytes(24).toString('base64url');
    // ALTER ROLE takes no bind parameters; the password is base64url, so a plain literal is safe.
    await owner.query(`ALTER ROLE ${owner.escapeIdentifier(role)} LOGIN PASSWORD ${owner.escapeLiteral(password)}`);
    mkdirSync(statePaths().state, { recursive: true });
    writeFileSync(readerFile(), JSON.stringify({ target: target(ownerUrl), user: role, password } satisfies StoredReader), { mode: 0o600 });
    chmodSync(readerFile(), 0o600);
    return { url: readerUrl(ownerUrl, role, password) };
  } finally {
    await owner.end();
  }
}
