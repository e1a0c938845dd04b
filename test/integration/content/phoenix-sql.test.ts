import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { sampleSql } from '../../../src/core/native-sql-sample.ts';
import type { Project } from '../../../src/core/project.ts';
import { runFile } from '../../../src/postgres/run-sql.ts';
import { openAnalyticsSandbox, type AnalyticsSandbox } from '../../../src/postgres/sandbox.ts';
import { readSqlFile } from '../../../src/postgres/sql-files.ts';
import { openTestDatabase, type TestDatabase } from '../../support/database.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';

const ROOT = join(import.meta.dirname, '../../..');
let project: Project;

beforeAll(async () => {
  project = await loadProject({ configPath: join(ROOT, 'metabase.config.yaml'), allowMissingEnv: true });
});

// On the real server when PGHOST/DATABASE_URL is set (CI), on PGlite otherwise.
describe('every native card of the Phoenix dashboards on the fixture data', () => {
  let t: TestDatabase;
  let db: TestDatabase['db'];
  beforeAll(async () => {
    t = await openTestDatabase({ fixture: true });
    db = t.db;
    await runFile(db, await readSqlFile('analytics/dashboard_views.sql', PHOENIX_SQL.dir));
  });
  afterAll(async () => t?.close());

  it('runs without error and the dashboard cards return rows', async () => {
    const native = [...project.cards.values()].filter((c) => c.card.sql !== undefined);
    expect(native.length).toBeGreaterThanOrEqual(8);
    for (const { card } of native) {
      for (const sql of sampleSql(card.sql!, card.params ?? {})) {
        const { rows } = await db.query(sql).catch((error: Error) => {
          throw new Error(`${card.key}: ${error.message}`);
        });
        if (!card.key.startsWith('alert-')) expect(rows.length, card.key).toBeGreaterThan(0);
      }
    }
  });

  it('computes the pack conversion the way a person would', async () => {
    const { card } = project.cards.get('pack-conversion')!;
    const { rows } = await db.query<Record<string, unknown>>(sampleSql(card.sql!, card.params ?? {})[0]!);
    const n = (v: unknown) => (v === null ? null : Number(v));
    expect(rows.map((r) => [r.Pack, n(r['Taux de clic (%)']), n(r["Taux d'achat (%)"]), n(r['Conversion (%)']), n(r['Revenu (€)'])]))
      .toEqual([['starter', 50, 100, 50, 4.99], ['unknown', 0, null, 0, 0]]);
  });
});

describe('the alert cards return rows exactly when their condition holds', () => {
  let db: AnalyticsSandbox;
  const alertRows = async (key: string) => {
    const { card } = project.cards.get(key)!;
    return (await db.query(sampleSql(card.sql!, card.params ?? {})[0]!)).rows;
  };
  beforeAll(async () => {
    db = await openAnalyticsSandbox({ sql: PHOENIX_SQL });
    await db.exec(`
      INSERT INTO "User" ("id", "email") SELECT 'a' || g, 'a' || g || '@example.com' FROM generate_series(1, 40) g;
      INSERT INTO "EnergyWallet" ("id", "userId") SELECT 'w' || g, 'a' || g FROM generate_series(1, 40) g;`);
  });
  afterAll(async () => db?.close());

  /** `viewers` users view Aube and `completers` of them complete it, `daysAgo` days ago at noon Paris time. */
  const aubeDay = (daysAgo: number, viewers: number, completers: number) => db.exec(`
    INSERT INTO "AnalyticsEvent" ("id", "userId", "type", "createdAt")
      SELECT 'v${daysAgo}-' || g, 'a' || g, 'AUBE_VIEWED', (analytics.local_date(now()) - ${daysAgo} + time '12:00') AT TIME ZONE 'Europe/Paris' FROM generate_series(1, ${viewers}) g;
    INSERT INTO "AnalyticsEvent" ("id", "userId", "type", "createdAt")
      SELECT 'c${daysAgo}-' || g, 'a' || g, 'AUBE_COMPLETED', (analytics.local_date(now()) - ${daysAgo} + time '12:30') AT TIME ZONE 'Europe/Paris' FROM generate_series(1, ${completers}) g;`);
  const zeroDay = (daysAgo: number, users: number) => db.exec(`
    INSERT INTO "EnergyTransaction" ("id", "walletId", "userId", "type", "amount", "balanceAfter", "createdAt")
      SELECT 'z${daysAgo}-' || g, 'w' || g, 'a' || g, 'DEBIT', 5, 0, (analytics.local_date(now()) - ${daysAgo} + time '12:00') AT TIME ZONE 'Europe/Paris' FROM generate_series(1, ${users}) g;`);

  it('Aube: no row while the completion rate holds, one row when yesterday drops by 30 % or more', async () => {
    for (let d = 2; d <= 8; d++) await aubeDay(d, 20, 15);
    await aubeDay(1, 20, 14); // 0.70 against 0.75: a 6.7 % drop
    expect(await alertRows('alert-aube-completion-drop')).toHaveLength(0);
    await db.exec(`DELETE FROM "AnalyticsEvent" WHERE "id" LIKE 'c1-%' AND "id" NOT IN ('c1-1', 'c1-2', 'c1-3', 'c1-4', 'c1-5')`);
    const rows = await alertRows('alert-aube-completion-drop'); // 0.25 against 0.75: a 66.7 % drop
    expect(rows).toHaveLength(1);
    expect(Number((rows[0] as Record<string, unknown>).Baisse)).toBeCloseTo(0.6667, 3);
  });

  it('zero energy: no row for a usual day, one row when yesterday has twice the trailing average and at least 10 users', async () => {
    for (let d = 2; d <= 8; d++) await zeroDay(d, 3);
    await zeroDay(1, 5);
    expect(await alertRows('alert-zero-energy-surge')).toHaveLength(0);
    await db.exec(`INSERT INTO "EnergyTransaction" ("id", "walletId", "userId", "type", "amount", "balanceAfter", "createdAt")
      SELECT 'zz-' || g, 'w' || g, 'a' || g, 'DEBIT', 5, 0, (analytics.local_date(now()) - 1 + time '18:00') AT TIME ZONE 'Europe/Paris' FROM generate_series(6, 12) g`);
    const rows = await alertRows('alert-zero-energy-surge');
    expect(rows).toHaveLength(1);
    expect(Number((rows[0] as Record<string, unknown>)['Utilisateurs à 0'])).toBe(12);
  });
});
