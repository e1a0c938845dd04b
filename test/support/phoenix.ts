import { fileURLToPath } from 'node:url';
import { readPostgresSettings } from '../../src/postgres/postgres-config.ts';

/**
 * The Phoenix project at the top of this repository, as its own config describes its Postgres side:
 * tests of the Phoenix SQL read the role, the readable tables, the retention table and the SQL
 * folder from `metabase.config.yaml`, like `mb-sync db …` does — mb-sync itself names none of them.
 */
export const PHOENIX_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PHOENIX = await readPostgresSettings(`${PHOENIX_ROOT}metabase.config.yaml`, { DATABASE_URL: 'postgres://unused@127.0.0.1/unused' });
export const PHOENIX_SQL = PHOENIX.sql;
export const PHOENIX_RETENTION = PHOENIX.retention!;
