import { openAnalyticsSandbox } from '../../src/postgres/sandbox.ts';
import type { SqlLayout } from '../../src/postgres/sql-files.ts';
import type { FakeCatalog } from './fake-metabase/index.ts';
import { PHOENIX_SQL } from './phoenix.ts';

/** Metabase base types for the Postgres types the views use (what the postgres driver's sync reports). */
const BASE_TYPES: Record<string, string> = {
  text: 'type/Text',
  'character varying': 'type/Text',
  character: 'type/Text',
  uuid: 'type/UUID',
  integer: 'type/Integer',
  smallint: 'type/Integer',
  bigint: 'type/BigInteger',
  numeric: 'type/Decimal',
  'double precision': 'type/Float',
  real: 'type/Float',
  boolean: 'type/Boolean',
  date: 'type/Date',
  'timestamp with time zone': 'type/DateTimeWithLocalTZ',
  'timestamp without time zone': 'type/DateTime',
  interval: 'type/*',
  jsonb: 'type/JSON',
  json: 'type/JSON',
};

/**
 * What a sync of the project's database (Phoenix unless `sql` says otherwise) would discover, read from the real view definitions in
 * embedded Postgres, so end-to-end tests run against the same columns as production.
 */
export async function catalogFromSandbox(options: { host: string; dbname: string; password: string; schemas?: string[]; sql?: SqlLayout }): Promise<FakeCatalog> {
  // Phoenix's SQL (the project at the top of this repository) unless another project's is given.
  const sandbox = await openAnalyticsSandbox({ sql: options.sql ?? PHOENIX_SQL });
  try {
    const schemas = options.schemas ?? ['analytics'];
    const columns = (await sandbox.columns()).filter((c) => schemas.includes(c.schema));
    const tables = new Map<string, { schema: string; name: string; columns: Array<{ name: string; base_type: string; database_type: string }> }>();
    for (const column of columns) {
      const id = `${column.schema}.${column.table}`;
      if (!tables.has(id)) tables.set(id, { schema: column.schema, name: column.table, columns: [] });
      tables.get(id)!.columns.push({ name: column.column, base_type: BASE_TYPES[column.dataType] ?? 'type/*', database_type: column.dataType });
    }
    return { [`${options.host}/${options.dbname}`]: { password: options.password, tables: [...tables.values()] } };
  } finally {
    await sandbox.close();
  }
}
