import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAnalytics } from '../../../src/postgres/apply-analytics.ts';
import { connectPostgres } from '../../../src/postgres/connect.ts';
import { openPglite } from '../../../src/postgres/pglite-runner.ts';
import { purgeAnalyticsEvents } from '../../../src/postgres/purge.ts';
import { runChecks } from '../../../src/postgres/run-checks.ts';
import type { SqlRunner } from '../../../src/postgres/runner.ts';
import { sqlLayout } from '../../../src/postgres/sql-files.ts';
import { verifyReadOnly } from '../../../src/postgres/verify.ts';
import { realServerUrl } from '../../support/database.ts';

const SHOP = join(import.meta.dirname, '../../fixtures/shop');
const CONFIG = join(SHOP, 'metabase.config.yaml');
const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const PASSWORD = `shop'pass$$${randomBytes(3).toString('hex')}`;
const server = realServerUrl();

const SEED = `
INSERT INTO shop.customers (id, email, country, created_at) VALUES
  (1, 'ann@example.com', 'FR', '2025-01-01T10:00:00Z'), (2, 'bob@example.com', NULL, '2025-01-02T10:00:00Z');
INSERT INTO shop.orders (id, customer_id, status, total_cents, created_at) VALUES
  (1, 1, 'paid', 1250, '2025-01-03T10:00:00Z'), (2, 1, 'paid', 750, '2025-01-03T23:30:00Z'),
  (3, 2, 'refunded', 500, '2025-01-04T10:00:00Z'), (4, 2, 'paid', 0, '2025-01-05T10:00:00Z');`;

async function shopDatabase(db: SqlRunner): Promise<void> {
  await db.exec(await readFile(join(SHOP, 'sql/app/shop-schema.sql'), 'utf8'));
  await db.exec(SEED);
}

// The library on any Postgres (PGlite without a server): views of schema "reporting", its own role.
describe('the shop project\'s views and role', () => {
  const role = `shop_ro_${randomBytes(4).toString('hex')}`;
  let db: SqlRunner;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (server === undefined) {
      db = await openPglite();
      close = () => db.close();
    } else {
      const name = `mbsync_shop_${randomBytes(6).toString('hex')}`;
      const admin = await connectPostgres(server);
      await admin.exec(`CREATE DATABASE ${name}`);
      const url = new URL(server);
      url.pathname = `/${name}`;
      db = await connectPostgres(url.toString());
      close = async () => {
        await db.close();
        await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.exec(`DROP ROLE IF EXISTS ${role}`);
        await admin.close();
      };
    }
    await shopDatabase(db);
  });
  afterAll(async () => close?.());

  it('applies the views and the role under the configured name, then verifies as the role', async () => {
    const options = { role, password: PASSWORD, timezone: 'UTC', readableTables: ['shop.orders'], sql: sqlLayout(SHOP, { sql_dir: 'sql', schema: 'reporting' }) };
    const report = await applyAnalytics(db, options);
    expect(report.views.sort()).toEqual(['customer_summary', 'daily_sales']);
    expect(report.changes).toEqual(expect.arrayContaining(['+ view reporting.daily_sales']));
    expect((await applyAnalytics(db, options)).changes).toEqual([]);
    const { rows } = await db.query<{ order_date: string; country: string; revenue: string }>('SELECT order_date::text, country, revenue::text FROM reporting.daily_sales ORDER BY 1, 2');
    expect(rows).toEqual([{ order_date: '2025-01-03', country: 'FR', revenue: '20.0000000000000000' }, { order_date: '2025-01-05', country: 'unknown', revenue: '0.00000000000000000000' }]);

    const items = await verifyReadOnly(db, { role, asRole: 'set-role', readableTables: ['shop.orders'], schema: 'reporting' });
    expect(items.filter((i) => !i.ok)).toEqual([]);
    expect(items.map((i) => i.item)).toEqual(expect.arrayContaining([
      'schema reporting is visible', 'SELECT reporting.daily_sales', 'SELECT shop."orders"', 'UPDATE shop."orders"',
      'SELECT shop."customers" (not granted)', 'CREATE VIEW in reporting',
    ]));
    expect(items.map((i) => i.item).join('\n')).not.toMatch(/analytics|AnalyticsEvent|Energy/);
    expect((await runChecks(db, join(SHOP, 'sql'))).map((c) => [c.check, c.rows, c.status])).toEqual([['order_total_positive', 1, 'fail']]);
  });

  it('purges the event table the config names (a dry run counts, changes nothing)', async () => {
    const report = await purgeAnalyticsEvents(db, { months: 1, execute: false, readonlyRole: role, table: 'shop.orders', column: 'created_at' });
    expect(report).toMatchObject({ rows: 4, oldest: '2025-01-03T10:00:00.000Z', executed: false });
  });
});

async function cli(args: string[], cwd: string, env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The CLI connects as the role over TCP: only against a real server (CI sets PGHOST).
describe.skipIf(server === undefined)('mb-sync db with the shop project on a real PostgreSQL', () => {
  const name = `mbsync_shopcli_${randomBytes(6).toString('hex')}`;
  let url: string;
  let cwd: string;
  beforeAll(async () => {
    const admin = await connectPostgres(server!);
    await admin.exec(`CREATE DATABASE ${name}`).finally(() => admin.close());
    const u = new URL(server!);
    u.pathname = `/${name}`;
    url = u.toString();
    const db = await connectPostgres(url);
    await shopDatabase(db).finally(() => db.close());
    cwd = await mkdtemp(join(tmpdir(), 'mb-sync-shop-'));
  });
  afterAll(async () => {
    const admin = await connectPostgres(server!);
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.exec('DROP ROLE IF EXISTS shop_reporting_ro');
    await admin.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('plans, applies and verifies the role of the config, with its own SQL folder', async () => {
    const env = { DATABASE_URL: url, SHOP_REPORTING_RO_PASSWORD: PASSWORD };
    const planned = await cli(['--config', CONFIG, 'db', 'plan'], cwd, env);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain('+ view reporting.daily_sales');
    const applied = await cli(['--config', CONFIG, 'db', 'apply'], cwd, env);
    expect(applied.stderr).toContain('2 views in schema reporting (timezone UTC); role shop_reporting_ro, password from SHOP_REPORTING_RO_PASSWORD');
    expect(applied.code).toBe(0);
    expect((await cli(['--config', CONFIG, 'db', 'plan'], cwd, env)).stderr).toContain('✓ No changes');
    const verified = await cli(['--config', CONFIG, 'db', 'verify', '--json'], cwd, env);
    expect(verified.code).toBe(0);
    expect((JSON.parse(verified.stdout) as Array<{ ok: boolean }>).every((i) => i.ok)).toBe(true);
    const missing = await cli(['--config', CONFIG, 'db', 'apply'], cwd, { DATABASE_URL: url });
    expect(missing.stderr).toContain('SHOP_REPORTING_RO_PASSWORD is not set: it is the password of the read-only role shop_reporting_ro');
    for (const out of [planned, applied, verified]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });
});
