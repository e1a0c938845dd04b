import type { SqlRunner } from '../../src/postgres/runner.ts';

/**
 * A runner that passes everything to `db` and records it: `sql` holds every statement sent, `sent`
 * the statements and their parameters (to look for a value that must never be sent). `after` runs
 * after each statement (a test acting between two of them).
 */
export function captureSql(db: SqlRunner, after: () => Promise<void> = async () => {}): { db: SqlRunner; sql: string[]; sent: string[] } {
  const sql: string[] = [];
  const sent: string[] = [];
  return {
    sql,
    sent,
    db: {
      query: async (text, params) => {
        sql.push(text);
        sent.push(text, ...(params ?? []).map(String));
        const result = await db.query(text, params);
        await after();
        return result as never;
      },
      exec: async (text) => {
        sql.push(text);
        sent.push(text);
        await db.exec(text);
        await after();
      },
      close: () => db.close(),
    },
  };
}
