import { defineConfig } from 'drizzle-kit';
// Used only to generate checked-in migrations: `npx drizzle-kit generate`.
export default defineConfig({ dialect: 'postgresql', schema: './db/schema.ts', out: './db/migrations' });
