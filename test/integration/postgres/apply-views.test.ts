import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAnalytics, type AnalyticsOptions } from '../../../src/postgres/apply-analytics.ts';
import { connectPostgres } from '../../../src/postgres/connect.ts';
import type { SqlRunner } from '../../../src/postgres/runner.ts';
import { captureSql } from '../../support/capture-sql.ts';
import { openTestDatabase, realServerUrl, type TestDatabase } from '../../support/database.ts';
import { PHOENIX, PHOENIX_SQL } from '../../support/phoenix.ts';

// db apply replaces a view only when it changed: replacing takes ACCESS EXCLUSIVE, which waits for
// every transaction reading the view and queues every new reader behind it.
const role = `mbsync_ro_${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(6).toString('hex')}`;
let t: TestDatabase;
let edited: string;
const options = (more: Partial<AnalyticsOptions> = {}): AnalyticsOptions => ({ role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL, ...more });
const VIEWS_FILE = 'analytics/dashboard_views.sql';

beforeAll(async () => {
  t = await openTestDatabase({ fixture: true });
  await applyAnalytics(t.db, options());
  edited = await mkdtemp(join(tmpdir(), 'mb-sync-views-'));
  await cp(PHOENIX_SQL.dir, edited, { recursive: true });
});
afterAll(async () => {
  await t?.close();
  await rm(edited, { recursive: true, force: true });
  const server = realServerUrl();
  if (server) {
    const admin = await connectPostgres(server);
    await admin.exec(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.close());
  }
});

/** The views file with `edit` applied, as a project of its own. */
async function editedViews(edit: (sql: string) => string): Promise<AnalyticsOptions['sql']> {
  const original = await readFile(join(PHOENIX_SQL.dir, VIEWS_FILE), 'utf8');
  await writeFile(join(edited, VIEWS_FILE), edit(original));
  return { ...PHOENIX_SQL, dir: edited };
}

const ADD_COLUMN = (sql: string) => sql.replace(/(count\(\*\) FILTER \(WHERE "type" = 'PACK_PURCHASED'\) AS pack_purchases)\nFROM "AnalyticsEvent"/, '$1,\n  count(*) AS events\nFROM "AnalyticsEvent"');

describe('db apply on views that did not change', () => {
  it('replaces no view: the views\' rewrite rules are the same rows', async () => {
    // A replaced view gets a new rewrite rule row; grants (run every time) touch only its pg_class row.
    const rules = async () => (await t.db.query<{ v: string }>("SELECT ev_class::regclass::text || ' ' || xmin::text AS v FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM pg_class WHERE relnamespace = 'analytics'::regnamespace AND relkind = 'v') ORDER BY 1")).rows.map((r) => r.v);
    const before = await rules();
    const sent = captureSql(t.db);
    const report = await applyAnalytics(sent.db, options());
    expect(report.changes).toEqual([]);
    expect(sent.sql.filter((sql) => /CREATE\s+OR\s+REPLACE\s+VIEW/i.test(sql))).toEqual([]);
    expect(before.length).toBeGreaterThan(0);
    expect(await rules()).toEqual(before);
  });

  it('knows a view with a quoted name, and does not replace it when it did not change', async () => {
    const sql = await editedViews((text) => `${text}\nCREATE OR REPLACE VIEW analytics."DailySummary" AS SELECT 1 AS one;\n`);
    await applyAnalytics(t.db, options({ sql }));
    const sent = captureSql(t.db);
    const report = await applyAnalytics(sent.db, options({ sql }));
    expect(report.changes).toEqual([]);
    expect(sent.sql.filter((text) => /CREATE\s+OR\s+REPLACE\s+VIEW/i.test(text))).toEqual([]);
    await t.db.exec('DROP VIEW analytics."DailySummary"');
  });

  it('makes again a quoted view of the files built on a view whose column goes, as one of its own', async () => {
    const QUOTED = '\nCREATE OR REPLACE VIEW analytics."ActivitySummary" AS SELECT event_date FROM analytics.vw_daily_activity;\n';
    await applyAnalytics(t.db, options({ sql: await editedViews((text) => ADD_COLUMN(text) + QUOTED) }));
    // The column goes: vw_daily_activity is dropped and made again, and so is the quoted view on it.
    const report = await applyAnalytics(t.db, options({ sql: await editedViews((text) => text + QUOTED) }));
    expect(report.changes).toContain('~ view analytics.vw_daily_activity (definition changed)');
    expect(await columnsOf('ActivitySummary')).toEqual(['event_date']);
    await editedViews((text) => text);
    await t.db.exec('DROP VIEW analytics."ActivitySummary"');
  });

  it('keeps what the files change that no snapshot shows: a role setting is committed', async () => {
    const roleFile = join(edited, 'roles', 'phoenix_analytics_ro.sql');
    const original = await readFile(join(PHOENIX_SQL.dir, 'roles', 'phoenix_analytics_ro.sql'), 'utf8');
    await writeFile(roleFile, `${original}\nALTER ROLE ${role} SET statement_timeout = '61s';\n`);
    try {
      await applyAnalytics(t.db, options({ sql: { ...PHOENIX_SQL, dir: edited } }));
      const { rows } = await t.db.query<{ config: string[] | null }>('SELECT rolconfig AS config FROM pg_roles WHERE rolname = $1', [role]);
      expect(rows[0]?.config).toContain('statement_timeout=61s');
    } finally {
      await writeFile(roleFile, original);
    }
  });

  it('replaces only the view whose definition changed, as the plan said, and makes it again when a column goes', async () => {
    const sql = await editedViews(ADD_COLUMN);
    const planned = await applyAnalytics(t.db, options({ sql, dryRun: true }));
    expect(planned.changes).toEqual(['~ view analytics.vw_daily_activity (definition changed)']);
    const sent = captureSql(t.db);
    const applied = await applyAnalytics(sent.db, options({ sql }));
    expect(applied.changes).toEqual(planned.changes);
    expect(sent.sql.filter((s) => /CREATE\s+OR\s+REPLACE\s+VIEW/i.test(s)).map((s) => /VIEW\s+(\S+)/.exec(s)?.[1])).toEqual(['analytics.vw_daily_activity']);
    expect(await columnsOf('vw_daily_activity')).toContain('events');
    // Back to the repository's file: the column goes, which CREATE OR REPLACE cannot do.
    expect((await applyAnalytics(t.db, options({ dryRun: true }))).changes).toEqual(['~ view analytics.vw_daily_activity (definition changed)']);
    expect((await applyAnalytics(t.db, options())).changes).toEqual(['~ view analytics.vw_daily_activity (definition changed)']);
    expect(await columnsOf('vw_daily_activity')).not.toContain('events');
  });

  it('keeps a change no view shows, such as a comment: it is listed and committed', async () => {
    const sql = await editedViews((text) => `${text}\nCOMMENT ON VIEW analytics.vw_daily_activity IS 'One row per day';\n`);
    expect((await applyAnalytics(t.db, options({ sql }))).changes).toEqual(['~ comment on view analytics.vw_daily_activity']);
    expect((await t.db.query<{ c: string }>("SELECT obj_description('analytics.vw_daily_activity'::regclass, 'pg_class') AS c")).rows[0]!.c).toBe('One row per day');
    expect((await applyAnalytics(t.db, options({ sql }))).changes).toEqual([]);
    await t.db.exec('COMMENT ON VIEW analytics.vw_daily_activity IS NULL');
  });
});

// Only a real server has other sessions.
describe.skipIf(realServerUrl() === undefined)('db plan and apply next to a transaction reading a view', () => {
  let reader: SqlRunner;
  let monitor: SqlRunner;
  beforeAll(async () => {
    reader = await connectPostgres(t.url!);
    monitor = await connectPostgres(t.url!);
  });
  afterAll(async () => {
    await reader?.close();
    await monitor?.close();
  });

  it('plan and a no-op apply never ask for a lock readers would wait on', async () => {
    await reader.exec('BEGIN');
    await reader.query('SELECT count(*) FROM analytics.vw_daily_activity');
    try {
      // After every statement mb-sync sends, no lock of its session on the schema's views but
      // ACCESS SHARE, granted or awaited: a SELECT of a third session never queues behind it.
      const strongLocks: string[] = [];
      const watched = captureSql(t.db, async () => {
        const { rows } = await monitor.query<{ lock: string }>(
          `SELECT l.mode || ' ' || c.relname AS lock FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relnamespace = 'analytics'::regnamespace AND l.mode <> 'AccessShareLock' AND l.pid <> pg_backend_pid() AND l.pid <> $1`, [await pidOf(reader)]);
        strongLocks.push(...rows.map((r) => r.lock));
      });
      expect((await applyAnalytics(watched.db, options({ dryRun: true, lockTimeoutSeconds: 1 }))).changes).toEqual([]);
      expect((await applyAnalytics(watched.db, options({ lockTimeoutSeconds: 1 }))).changes).toEqual([]);
      expect(strongLocks).toEqual([]);
      const third = await connectPostgres(t.url!);
      await third.exec("SET lock_timeout = '1s'");
      expect((await third.query('SELECT event_date FROM analytics.vw_daily_activity LIMIT 1')).rows).toHaveLength(1);
      await third.close();
    } finally {
      await reader.exec('ROLLBACK');
    }
  });

  it('gives up on a view that changed after lock_timeout, naming it and the session reading it, and applies nothing', async () => {
    const sql = await editedViews(ADD_COLUMN);
    const text = await readFile(join(edited, VIEWS_FILE), 'utf8');
    const line = text.slice(0, text.indexOf('CREATE OR REPLACE VIEW analytics.vw_daily_activity')).split('\n').length;
    await reader.exec('BEGIN');
    await reader.query('SELECT count(*) FROM analytics.vw_daily_activity');
    const pid = await pidOf(reader);
    try {
      // db plan replaces a changed view too (in a transaction it rolls back), so it waits the same.
      for (const dryRun of [true, false]) {
        await expect(applyAnalytics(t.db, options({ sql, dryRun, lockTimeoutSeconds: 0.2 }))).rejects.toThrow(
          new RegExp(`/analytics/dashboard_views\\.sql:${line}: could not lock analytics\\.vw_daily_activity within 200ms \\(lock_timeout\\): it is in use by pid ${pid} \\(idle in transaction, transaction open since \\d\\d:\\d\\d:\\d\\d\\)$`));
      }
    } finally {
      await reader.exec('ROLLBACK');
    }
    expect(await columnsOf('vw_daily_activity')).not.toContain('events');
    expect((await applyAnalytics(t.db, options({ sql, lockTimeoutSeconds: 0.2 }))).changes).toEqual(['~ view analytics.vw_daily_activity (definition changed)']);
    await applyAnalytics(t.db, options());
  });
});

/** The runner, the SQL sent through it, and an optional check after each statement. */
async function columnsOf(view: string): Promise<string[]> {
  const { rows } = await t.db.query<{ name: string }>("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = $1", [view]);
  return rows.map((r) => r.name);
}

async function pidOf(db: SqlRunner): Promise<number> {
  return (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}
