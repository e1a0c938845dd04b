import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFile } from '../../../src/postgres/run-sql.ts';
import { generatePhoenixData, insertPhoenixData } from '../../../src/postgres/generate-data.ts';
import { runChecks } from '../../../src/postgres/run-checks.ts';
import { readSqlFile } from '../../../src/postgres/sql-files.ts';
import { openTestDatabase, type TestDatabase } from '../../support/database.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';

const now = new Date('2026-11-24T12:00:00Z');
let t: TestDatabase;

beforeAll(async () => {
  t = await openTestDatabase();
  await runFile(t.db, await readSqlFile('analytics/dashboard_views.sql', PHOENIX_SQL.dir));
});
afterAll(async () => t?.close());

describe('the synthetic data generator', () => {
  it('is deterministic for a seed', () => {
    const a = generatePhoenixData({ users: 30, days: 14, seed: 7, now });
    const b = generatePhoenixData({ users: 30, days: 14, seed: 7, now });
    expect(a).toEqual(b);
    expect(generatePhoenixData({ users: 30, days: 14, seed: 8, now })).not.toEqual(a);
  });

  it('fills every view the dashboards read, and inserts only into an empty database', async () => {
    const data = generatePhoenixData({ users: 60, days: 30, seed: 42, now });
    expect(await insertPhoenixData(t.db, data)).toBe(true);
    expect(await insertPhoenixData(t.db, data)).toBe(false);
    for (const view of ['vw_daily_energy_ledger', 'vw_energy_spend_events', 'vw_portal_aube', 'vw_rituals_daily', 'vw_pack_funnel', 'vw_user_energy_health', 'vw_daily_activity', 'vw_recent_events', 'vw_worker_runs', 'vw_aube_completion_daily', 'vw_zero_balance_daily']) {
      const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM analytics.${view}`);
      expect(rows[0]!.n, view).toBeGreaterThan(0);
    }
    const types = (await t.db.query<{ type: string }>('SELECT DISTINCT "type" FROM "AnalyticsEvent" ORDER BY 1')).rows.map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['AUBE_VIEWED', 'AUBE_COMPLETED', 'REFLECTION_CREATED', 'RITUAL_COMPLETED', 'ENERGY_PACK_VIEWED', 'ENERGY_PACK_CLICKED', 'PACK_PURCHASED', 'ENERGY_BONUS_STREAK', 'ENERGY_SPENT', 'BADGE_EARNED']));
    const checks = Object.fromEntries((await runChecks(t.db, PHOENIX_SQL.dir)).map((c) => [c.check, c.rows]));
    // Realistic but sound: costs positive, every streak bonus credited; a few legacy rows lack source.
    expect(checks).toMatchObject({ cost_positive: 0, debit_amount_positive: 0, streak_bonus_matched: 0 });
    expect(checks.spend_without_source).toBeGreaterThan(0);
  });
});
