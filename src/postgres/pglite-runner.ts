import { PGlite } from '@electric-sql/pglite';
import type { SqlRunner } from './runner.ts';

/** Embedded PostgreSQL (WASM): the fallback when no server is given, and `validate`'s sandbox. */
export async function openPglite(): Promise<SqlRunner & { pglite: PGlite }> {
  const pglite = new PGlite();
  await pglite.waitReady;
  return {
    pglite,
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await pglite.query<T>(sql, params)).rows }),
    exec: async (sql: string) => {
      await pglite.exec(sql);
    },
    close: () => pglite.close(),
  };
}
