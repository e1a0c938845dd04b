import { openPglite } from './pglite-runner.ts';
import type { SqlRunner } from './runner.ts';
import { appFiles, definesTimezoneFunction, viewFiles, type SqlLayout } from './sql-files.ts';
import { runFile } from './run-sql.ts';

export interface AnalyticsSandbox extends SqlRunner {
  columns(): Promise<Array<{ schema: string; table: string; column: string; dataType: string }>>;
}

/**
 * Embedded Postgres with the app tables and the real views of the project (`sql/app`, then
 * `sql/<schema>`): `validate` compiles every native card against it, tests run dashboard SQL on
 * fixture data in it. No server needed.
 */
export async function openAnalyticsSandbox(options: { timezone?: string; seed?: SqlRunnerSeed; sql: SqlLayout }): Promise<AnalyticsSandbox> {
  const layout = options.sql;
  const { schema } = layout;
  const db = await openPglite();
  for (const file of await appFiles(layout)) await runFile(db, file);
  const views = await viewFiles(layout);
  for (const file of views) await runFile(db, file);
  if (options.timezone && definesTimezoneFunction(views, schema)) {
    await db.query("SELECT set_config('mb_sync.tz', $1, false)", [options.timezone]);
    await db.exec(`CREATE OR REPLACE FUNCTION "${schema}".analytics_timezone() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT current_setting('mb_sync.tz') $$`);
  }
  if (options.seed) await options.seed(db);
  return {
    ...db,
    async columns() {
      const { rows } = await db.query<{ schema: string; table: string; column: string; dataType: string }>(
        `SELECT table_schema AS schema, table_name AS "table", column_name AS column, data_type AS "dataType"
         FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema, table_name, ordinal_position`,
      );
      return rows;
    },
  };
}

export type SqlRunnerSeed = (db: SqlRunner) => Promise<void>;
