import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSqlFile } from '../../../src/postgres/sql-files.ts';
import { runFile } from '../../../src/postgres/run-sql.ts';
import { runChecks } from '../../../src/postgres/run-checks.ts';
import { openTestDatabase, type TestDatabase } from '../../support/database.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';

// Expected figures are worked out by hand from test/fixtures/phoenix/fixture.sql (see its comments).
let t: TestDatabase;
const rows = async (sql: string) => (await t.db.query<Record<string, unknown>>(sql)).rows.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as Record<string, unknown>);
const num = (v: unknown) => (v === null ? null : Number(v));
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

beforeAll(async () => {
  t = await openTestDatabase({ fixture: true });
  await runFile(t.db, await readSqlFile('analytics/dashboard_views.sql', PHOENIX_SQL.dir));
});
afterAll(async () => t?.close());

describe('analytics views on the fixture data', () => {
  it('vw_daily_energy_ledger: sums by day × type × action × source, Paris days, unknown for missing keys', async () => {
    const ledger = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_daily_energy_ledger ORDER BY event_date, transaction_type, action')).rows
      .map((r) => [day(r.event_date), r.transaction_type, r.action, r.module, r.source, num(r.transactions), num(r.total_credits), num(r.total_spent), num(r.net_amount)]);
    expect(ledger).toEqual([
      ['2026-03-10', 'CREDIT', 'signup.welcome', 'signup', 'unknown', 1, 50, 0, 50],
      ['2026-03-10', 'DEBIT', 'letters.generate', 'letters', 'letters', 1, 0, 10, -10],
      ['2026-03-11', 'CREDIT', 'bonus.streak', 'bonus', 'streak', 1, 3, 0, 3],
      ['2026-03-11', 'DEBIT', 'chat.message', 'chat', 'chat', 1, 0, 0, 0],
      ['2026-03-11', 'DEBIT', 'letters.generate', 'letters', 'letters', 1, 0, 5, -5], // 23:30Z is 00:30 in Paris
      ['2026-03-11', 'DEBIT', 'unknown', 'unknown', 'unknown', 1, 0, 20, -20],
    ]);
  });

  it('vw_energy_spend_events: one row per ENERGY_SPENT, numbers read from strings, cohort and streak flag', async () => {
    const spends = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_energy_spend_events ORDER BY event_id')).rows
      .map((r) => [r.event_id, r.user_id, day(r.event_date), r.module, r.source, num(r.cost), num(r.balance_after), num(r.streak_days), day(r.signup_cohort), r.streak_3plus]);
    expect(spends).toEqual([
      ['e7', 'u1', '2026-03-10', 'letters', 'letters', 10, 40, 4, '2026-01-01', true],
      ['e8', 'u2', '2026-03-11', 'unknown', 'unknown', 20, 0, 1, '2026-03-01', false],
      ['e9', 'u2', '2026-03-11', 'chat', 'chat', 0, 0, 1, '2026-03-01', false],
    ]);
  });

  it('vw_portal_aube: per viewer; anonymous views and completions without a view left out', async () => {
    const aube = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_portal_aube ORDER BY user_id')).rows
      .map((r) => [r.user_id, day(r.signup_cohort), r.element, num(r.views), num(r.completions), r.completed, num(r.minutes_to_completion)]);
    expect(aube).toEqual([
      ['u1', '2026-01-01', 'feu', 2, 1, true, 30],
      ['u2', '2026-03-01', 'unknown', 1, 0, false, null],
    ]);
  });

  it('vw_rituals_daily and vw_pack_funnel', async () => {
    const rituals = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_rituals_daily ORDER BY ritual_id')).rows
      .map((r) => [day(r.event_date), r.ritual_id, num(r.completions), num(r.users), num(r.energy_distributed)]);
    expect(rituals).toEqual([['2026-03-10', 'r-matin', 2, 2, 10], ['2026-03-10', 'r-soir', 1, 1, 0]]);
    const funnel = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_pack_funnel ORDER BY event_date')).rows
      .map((r) => [day(r.event_date), r.pack_id, num(r.views), num(r.clicks), num(r.purchases), num(r.revenue)]);
    expect(funnel).toEqual([['2026-03-10', 'starter', 2, 1, 1, 4.99], ['2026-03-11', 'unknown', 1, 0, 0, 0]]);
  });

  it('vw_user_energy_health: balance flags and days of inactivity', async () => {
    const health = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_user_energy_health ORDER BY user_id')).rows
      .map((r) => [r.user_id, day(r.signup_cohort), num(r.balance), num(r.days_inactive), r.low_balance, r.zero_balance, r.streak_3plus]);
    expect(health).toEqual([['u1', '2026-01-01', 5, 10, true, false, true], ['u2', '2026-03-01', 0, 1, true, true, false]]);
  });

  it('vw_daily_activity: active users and counts per Paris day', async () => {
    const activity = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_daily_activity ORDER BY event_date')).rows
      .map((r) => [day(r.event_date), num(r.active_users), num(r.aube_views), num(r.aube_completions), num(r.ai_reflections), num(r.rituals_completed), num(r.streak_bonuses), num(r.pack_purchases)]);
    expect(activity).toEqual([['2026-03-10', 2, 3, 1, 1, 3, 0, 1], ['2026-03-11', 3, 1, 1, 0, 0, 2, 0]]);
  });

  it('vw_recent_events: notable events only, with French labels and no e-mail', async () => {
    const recent = await rows('SELECT event_type, label FROM analytics.vw_recent_events ORDER BY event_at');
    expect(recent.map((r) => r.label)).toEqual(['Aube complétée (feu)', 'Pack starter acheté (4,99 EUR)', 'Badge RISE', 'Aube complétée (air)', 'Parrainage complété']);
    const columns = (await t.db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics'")).rows.map((r) => r.column_name);
    expect(columns.some((c) => /mail/i.test(c))).toBe(false);
  });

  it('vw_worker_runs: durations, failures and the Paris run day', async () => {
    const runs = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_worker_runs ORDER BY run_id')).rows
      .map((r) => [r.worker, r.status, day(r.run_date), num(r.duration_seconds), r.failed, r.error]);
    expect(runs).toEqual([
      ['letters-reminder', 'SUCCESS', '2026-03-10', 42.5, false, null],
      ['streak', 'FAILED', '2026-03-11', 60, true, 'timeout'],
      ['rituals', 'RUNNING', '2026-03-11', null, false, null],
    ]);
  });

  it('alert sources: completion rate and zero-balance users against their trailing averages', async () => {
    const aube = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_aube_completion_daily ORDER BY event_date')).rows
      .map((r) => [day(r.event_date), num(r.viewers), num(r.completers), num(r.completion_rate), num(r.trailing_avg_rate), num(r.drop_ratio)]);
    expect(aube).toEqual([['2026-03-10', 1, 1, 1, null, null], ['2026-03-11', 1, 1, 1, 1, 0]]);
    const zero = (await t.db.query<Record<string, unknown>>('SELECT * FROM analytics.vw_zero_balance_daily ORDER BY event_date')).rows
      .map((r) => [day(r.event_date), num(r.users_at_zero), num(r.trailing_avg), num(r.surge_ratio)]);
    expect(zero).toEqual([['2026-03-10', 0, null, null], ['2026-03-11', 1, 0, null]]);
  });

  it('data-quality checks count the offending rows against their thresholds', async () => {
    const results = Object.fromEntries((await runChecks(t.db, PHOENIX_SQL.dir)).map((r) => [r.check, [r.rows, r.status]]));
    expect(results).toEqual({
      cost_positive: [1, 'fail'],
      debit_amount_positive: [1, 'fail'],
      spend_without_source: [2, 'warn'],
      streak_bonus_matched: [1, 'fail'],
      users_without_wallet: [1, 'fail'],
    });
  });

  it('is idempotent: the views file runs again cleanly', async () => {
    await runFile(t.db, await readSqlFile('analytics/dashboard_views.sql', PHOENIX_SQL.dir));
    expect((await rows('SELECT count(*)::int AS n FROM analytics.vw_pack_funnel'))[0]!.n).toBe(2);
  });
});
