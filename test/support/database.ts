import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectPostgres } from '../../src/postgres/connect.ts';
import { openPglite } from '../../src/postgres/pglite-runner.ts';
import type { SqlRunner } from '../../src/postgres/runner.ts';

const ROOT = join(import.meta.dirname, '../..');

export interface TestDatabase {
  kind: 'postgres' | 'pglite';
  db: SqlRunner;
  /** Connection URL of the throwaway database (real PostgreSQL only), e.g. to log in as the role. */
  url?: string;
  close(): Promise<void>;
}

/** PGHOST or DATABASE_URL says a real server is there; then the suites must run on it, never fall back. */
export function realServerUrl(): string | undefined {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  if (!process.env.PGHOST) return undefined;
  const user = encodeURIComponent(process.env.PGUSER ?? 'postgres');
  const password = process.env.PGPASSWORD ? `:${encodeURIComponent(process.env.PGPASSWORD)}` : '';
  return `postgres://${user}${password}@${process.env.PGHOST}:${process.env.PGPORT ?? 5432}/${process.env.PGDATABASE ?? 'postgres'}`;
}

/**
 * An isolated database with the Phoenix app tables: a throwaway database on the real server when
 * one is given (dropped afterwards), embedded PGlite otherwise.
 */
export async function openTestDatabase(options: { fixture?: boolean } = {}): Promise<TestDatabase> {
  const schema = await readFile(join(ROOT, 'sql/app/phoenix-app-schema.sql'), 'utf8');
  const fixture = options.fixture ? await readFile(join(ROOT, 'test/fixtures/phoenix/fixture.sql'), 'utf8') : '';
  const server = realServerUrl();
  if (server === undefined) {
    const db = await openPglite();
    await db.exec(schema);
    if (fixture) await db.exec(fixture);
    return { kind: 'pglite', db, close: () => db.close() };
  }
  const name = `mbsync_test_${randomBytes(6).toString('hex')}`;
  const admin = await connectPostgres(server);
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const db = await connectPostgres(url.toString());
  await db.exec(schema);
  if (fixture) await db.exec(fixture);
  return {
    kind: 'postgres',
    db,
    url: url.toString(),
    async close() {
      await db.close();
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
