import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readonlyPassword, readPostgresSettings, requireRole } from '../../../src/postgres/postgres-config.ts';

// What `mb-sync db …` reads of a project: everything comes from its config, nothing of Phoenix is
// assumed (the role, its password variable, the tables it may read, the SQL folder, retention).
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function settingsOf(config: string) {
  const dir = await mkdtemp(join(tmpdir(), 'mb-sync-pg-'));
  dirs.push(dir);
  await writeFile(join(dir, 'metabase.config.yaml'), config);
  return { dir, settings: () => readPostgresSettings(join(dir, 'metabase.config.yaml'), { DATABASE_URL: 'postgres://admin@db/app' }) };
}
const DATABASE = 'database:\n  user: crm_reader\n  password: ${CRM_READER_PASSWORD}\n';

describe('the postgres: section', () => {
  it('takes the role and its password variable from the connection Metabase uses, when not given', async () => {
    const { dir, settings } = await settingsOf(`${DATABASE}postgres:\n  schema: marts\n`);
    expect(await settings()).toEqual({
      url: 'postgres://admin@db/app',
      role: 'crm_reader',
      passwordEnv: 'CRM_READER_PASSWORD',
      timezone: 'UTC',
      lockTimeoutSeconds: 5,
      retentionMonths: 12,
      readableTables: [],
      sql: { dir: join(dir, 'sql'), schema: 'marts' },
    });
  });

  it('reads the SQL folder, the readable tables and the retention table as written', async () => {
    const { dir, settings } = await settingsOf(`${DATABASE}postgres:\n  sql_dir: warehouse/sql\n  readonly_role: crm_ro\n  readonly_password_env: CRM_RO_PASSWORD\n  readable_tables: [crm.accounts]\n  retention_table: crm.events\n  retention_column: at\n`);
    expect(await settings()).toMatchObject({ role: 'crm_ro', passwordEnv: 'CRM_RO_PASSWORD', readableTables: ['crm.accounts'], retention: { table: 'crm.events', column: 'at' }, sql: { dir: join(dir, 'warehouse/sql'), schema: 'analytics' } });
  });

  it('reads database.user through its variable, and a password variable with a default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mb-sync-pg-'));
    dirs.push(dir);
    await writeFile(join(dir, 'metabase.config.yaml'), 'database:\n  user: ${RO_USER}\n  password: ${RO_PASSWORD:-dev}\n');
    expect(await readPostgresSettings(join(dir, 'metabase.config.yaml'), { DATABASE_URL: 'postgres://a@b/c', RO_USER: 'crm_reader' })).toMatchObject({ role: 'crm_reader', passwordEnv: 'RO_PASSWORD' });
  });

  it('says what is missing instead of guessing, when a command needs the role (db check and purge do not)', async () => {
    const mixed = await (await settingsOf('database:\n  user: Mixed-Case\n  password: literal\n')).settings();
    expect(mixed.role).toBeUndefined();
    expect(() => requireRole(mixed)).toThrow(/postgres\.readonly_role: required/);
    expect(() => readonlyPassword(mixed, {})).toThrow(/postgres\.readonly_role: required/);
    const literal = await (await settingsOf('database:\n  user: crm_reader\n  password: literal\n')).settings();
    expect(() => requireRole(literal)).toThrow(/postgres\.readonly_password_env: required/);
    await expect((await settingsOf(`${DATABASE}postgres:\n  retention_table: events\n`)).settings()).rejects.toThrow(/postgres\.retention_column: retention_table and retention_column go together/);
  });
});
