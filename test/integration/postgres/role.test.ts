import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAnalytics } from '../../../src/postgres/apply-analytics.ts';
import { connectPostgres } from '../../../src/postgres/connect.ts';
import { purgeAnalyticsEvents } from '../../../src/postgres/purge.ts';
import { scramMatches, scramVerifier } from '../../../src/postgres/scram.ts';
import { verifyReadOnly } from '../../../src/postgres/verify.ts';
import { captureSql } from '../../support/capture-sql.ts';
import { openTestDatabase, realServerUrl, type TestDatabase } from '../../support/database.ts';
import { PHOENIX, PHOENIX_RETENTION, PHOENIX_SQL } from '../../support/phoenix.ts';

// A role per run: roles are cluster-wide on a real server and test files run in parallel.
const role = `mbsync_ro_${randomBytes(4).toString('hex')}`;
const password = `p'a"s\\s$$w0rd;--${randomBytes(3).toString('hex')}`;
let t: TestDatabase;

beforeAll(async () => {
  t = await openTestDatabase({ fixture: true });
  await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
});
afterAll(async () => {
  await t?.close();
  const server = realServerUrl();
  if (server) {
    const admin = await connectPostgres(server);
    await admin.exec(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.close());
  }
});

describe('the read-only role', () => {
  it('answers every view and refuses every write and every forbidden read, as the role itself', async () => {
    const asRole = t.url ? await connectPostgres(t.url, { user: role, password }) : t.db;
    try {
      const items = await verifyReadOnly(asRole, { role, asRole: t.url ? 'connected' : 'set-role', readableTables: PHOENIX.readableTables, schema: PHOENIX_SQL.schema });
      expect(items.filter((i) => !i.ok)).toEqual([]);
      expect(items.map((i) => i.item)).toEqual(expect.arrayContaining(['SELECT analytics.vw_pack_funnel', 'INSERT INTO "AnalyticsEvent"', 'SELECT "User" (not granted)', 'SELECT "WorkerRun" (not granted)', 'UPDATE "EnergyWallet"', 'CREATE TABLE in public']));
      expect(items.filter((i) => i.item.startsWith('SELECT analytics.'))).toHaveLength(11);
    } finally {
      if (asRole !== t.db) await asRole.close();
    }
  });

  it('stores exactly the password given, quotes, backslashes and dollars included (real server)', async (context) => {
    if (!t.url) return context.skip();
    // Proven on the stored SCRAM verifier, since the test server may trust every login.
    const { rows } = await t.db.query<{ verifier: string }>('SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [role]);
    expect(scramMatches(rows[0]!.verifier, password)).toBe(true);
    expect(scramMatches(rows[0]!.verifier, password.replace(/'/g, "''"))).toBe(false);
    const conn = await connectPostgres(t.url, { user: role, password });
    expect((await conn.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(role);
    await conn.close();
  });

  it('is idempotent, and a privilege granted by hand does not survive the next apply', async () => {
    await t.db.exec(`GRANT SELECT ON "User" TO ${role}`);
    const report = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(report.roleCreated).toBe(false);
    expect(report.views).toHaveLength(11);
    const { rows } = await t.db.query<{ ok: boolean }>(`SELECT has_table_privilege('${role}', '"User"', 'SELECT') AS ok`);
    expect(rows[0]!.ok).toBe(false);
  });

  it('applies nothing when a file fails: the transaction rolls back', async () => {
    await expect(applyAnalytics(t.db, { role, password, timezone: 'Mars/Olympus_Mons', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL })).rejects.toThrow(/not a timezone PostgreSQL knows/);
    // The role defaults to database.user: pointed at the admin role by mistake, it is refused, not stripped.
    const admin = (await t.db.query<{ me: string }>('SELECT current_user AS me')).rows[0]!.me;
    await expect(applyAnalytics(t.db, { role: admin, password, timezone: 'UTC', readableTables: [], sql: PHOENIX_SQL })).rejects.toThrow(/refusing to make \w+ read-only: it is the role of the admin connection itself/);
    const { rows } = await t.db.query<{ tz: string }>('SELECT analytics.analytics_timezone() AS tz');
    expect(rows[0]!.tz).toBe('Europe/Paris');
  });

  it('uses the configured timezone for days', async () => {
    await applyAnalytics(t.db, { role, password, timezone: 'America/New_York', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    // 2026-03-10T23:30Z is 19:30 on the 10th in New York (UTC-4 after 8 March), not the 11th as in Paris.
    const { rows } = await t.db.query<{ d: unknown }>("SELECT event_date::text AS d FROM analytics.vw_energy_spend_events WHERE event_id = 'e8'");
    expect(rows[0]!.d).toBe('2026-03-10');
    await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
  });

  it('purges old events only when asked, never as the read-only role', async () => {
    await t.db.exec(`INSERT INTO "AnalyticsEvent" ("id", "type", "createdAt") VALUES ('old1', 'CHAT_MESSAGE', now() - interval '13 months')`);
    const dry = await purgeAnalyticsEvents(t.db, { months: 12, execute: false, readonlyRole: role, ...PHOENIX_RETENTION });
    expect(dry).toMatchObject({ rows: 1, executed: false });
    const done = await purgeAnalyticsEvents(t.db, { months: 12, execute: true, readonlyRole: role, ...PHOENIX_RETENTION });
    expect(done).toMatchObject({ rows: 1, executed: true });
    expect((await purgeAnalyticsEvents(t.db, { months: 12, execute: false, readonlyRole: role, ...PHOENIX_RETENTION })).rows).toBe(0);
    await expect(purgeAnalyticsEvents(t.db, { months: 12, execute: true, readonlyRole: 'postgres', ...PHOENIX_RETENTION })).rejects.toThrow(/refusing to purge as the read-only role/);
  });
});

describe('db apply never drops what it does not own', () => {
  it('keeps a view and a materialized view people built on an analytics view', async () => {
    await t.db.exec('CREATE VIEW public.my_funnel AS SELECT pack_id, views FROM analytics.vw_pack_funnel');
    await t.db.exec('CREATE MATERIALIZED VIEW public.my_health AS SELECT user_id, balance FROM analytics.vw_user_energy_health');
    const report = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(report.views).toHaveLength(11);
    const { rows } = await t.db.query<{ name: string }>("SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname IN ('my_funnel', 'my_health') ORDER BY 1");
    expect(rows.map((r) => r.name)).toEqual(['my_funnel', 'my_health']);
  });

  it('stops, naming the dependents, when a view whose columns change has objects that are not mb-sync\'s on it; replaces it when it has none', async () => {
    // The live view has a column the file no longer defines: CREATE OR REPLACE cannot drop it.
    await t.db.exec('DROP VIEW public.my_funnel');
    await t.db.exec('DROP VIEW analytics.vw_pack_funnel');
    await t.db.exec('CREATE VIEW analytics.vw_pack_funnel AS SELECT current_date AS event_date, 1::text AS pack_id, 0::bigint AS views, 0::bigint AS clicks, 0::bigint AS purchases, 0::numeric AS revenue, 1 AS legacy_column');
    await t.db.exec('CREATE VIEW public.my_legacy AS SELECT legacy_column FROM analytics.vw_pack_funnel');
    await expect(applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL })).rejects.toThrow(/the columns of analytics\.vw_pack_funnel change .* these objects depend on it: public\.my_legacy/);
    expect((await t.db.query("SELECT 1 FROM pg_class WHERE relname = 'my_legacy'")).rows).toHaveLength(1);
    await t.db.exec('DROP VIEW public.my_legacy');
    const report = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(report.changes).toContain('~ view analytics.vw_pack_funnel (definition changed)');
    const columns = (await t.db.query<{ name: string }>("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'vw_pack_funnel'")).rows.map((r) => r.name);
    expect(columns).not.toContain('legacy_column');
  });
});

describe('the read-only role ends with exactly the privileges the config names', () => {
  it('revokes memberships, database and schema privileges and grants elsewhere, lists them, and db verify proves it as the role', async () => {
    await t.db.exec('CREATE SCHEMA IF NOT EXISTS private_stuff');
    await t.db.exec('CREATE TABLE IF NOT EXISTS private_stuff.secrets (x int)');
    await t.db.exec(`GRANT pg_write_all_data TO ${role}`);
    // PGlite cannot change a database's ACL ("tuple concurrently deleted"): the real server does it.
    const real = t.kind === 'postgres';
    if (real) await t.db.exec(`GRANT CREATE ON DATABASE ${await currentDatabase()} TO ${role}`);
    await t.db.exec(`GRANT USAGE, CREATE ON SCHEMA private_stuff TO ${role}`);
    await t.db.exec(`GRANT SELECT ON private_stuff.secrets TO ${role}`);
    await t.db.exec(`GRANT SELECT ("email") ON "User" TO ${role}`);
    const before = await verifyAsRole();
    expect(before.filter((i) => !i.ok).map((i) => i.item)).toEqual(expect.arrayContaining([
      'no role memberships (no inherited rights)', ...(real ? ['no CREATE on the database'] : []), 'no write on any table, by any grant', 'reads only the views and the named tables',
    ]));

    const planned = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL, dryRun: true });
    expect(planned.applied).toBe(false);
    expect((await verifyAsRole()).filter((i) => !i.ok).length).toBeGreaterThan(0);

    const report = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(report.changes).toEqual(planned.changes);
    expect(report.changes).toEqual(expect.arrayContaining([
      'membership in (revoked) pg_write_all_data',
      ...(real ? ['grant (revoked) database CREATE'] : []),
      'grant (revoked) schema private_stuff CREATE',
      'grant (revoked) table private_stuff.secrets SELECT',
      'grant (revoked) column public.User.email SELECT',
    ].map((line) => `- ${line}`)));
    expect((await verifyAsRole()).filter((i) => !i.ok)).toEqual([]);
  });

  it('changes nothing, and says so, when nothing changed: the password is not set again', async () => {
    const again = await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(again.changes).toEqual([]);
    expect(again.password).toBe('unchanged');
    const rotated = await applyAnalytics(t.db, { role, password: `${password}-next`, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL, dryRun: true });
    expect(rotated.changes).toEqual([`~ role ${role}: password rotated`]);
  });
});

describe('the password', () => {
  it('is sent as a SCRAM verifier, never in clear, only when it changed, and the role logs in with it', async () => {
    const next = `${password}-rotated`;
    const stored = async () => (await t.db.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [role])).rows[0]!.v;
    const before = await stored();
    const plan = captureSql(t.db);
    const planned = await applyAnalytics(plan.db, { role, password: next, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL, dryRun: true });
    expect(planned.changes).toEqual([`~ role ${role}: password rotated`]);
    expect(plan.sent.join('\n')).not.toMatch(/ALTER ROLE[^;]*PASSWORD/);
    expect(await stored()).toBe(before);

    const apply = captureSql(t.db);
    const applied = await applyAnalytics(apply.db, { role, password: next, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
    expect(applied.changes).toEqual(planned.changes);
    expect(apply.sent.join('\n')).not.toContain(next);
    const alter = apply.sent.filter((sql) => /^ALTER ROLE .* PASSWORD/.test(sql));
    expect(alter).toEqual([expect.stringMatching(/^ALTER ROLE \w+ WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}'$/)]);
    // Stored as sent (the server did not take it for a password to hash), and it is the new password's.
    expect(alter[0]).toContain(await stored());
    expect(scramMatches(await stored(), next)).toBe(true);
    if (t.url) {
      const conn = await connectPostgres(t.url, { user: role, password: next });
      expect((await conn.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(role);
      await conn.close();
    }

    // The same password again: nothing sent, the verifier (and its salt) kept.
    const rotated = await stored();
    const again = captureSql(t.db);
    expect((await applyAnalytics(again.db, { role, password: next, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL })).changes).toEqual([]);
    expect(again.sent.join('\n')).not.toMatch(/ALTER ROLE[^;]*PASSWORD/);
    expect(await stored()).toBe(rotated);
    await applyAnalytics(t.db, { role, password, timezone: 'Europe/Paris', readableTables: PHOENIX.readableTables, sql: PHOENIX_SQL });
  });

  it('is the verifier PostgreSQL makes of the same password with the same salt, SASLprep included', async () => {
    // A throwaway role given passwords in clear (this test only): the server's verifier is the reference.
    const other = `${role}_scram`;
    await t.db.exec(`CREATE ROLE ${other}`);
    try {
      for (const candidate of [password, 'plain-ascii', 'pa\u00ADss\u2003w\uFB01rd', 'caf\u0065\u0301 \u00E9t\u00E9', '\u2460\u00BD']) {
        const { rows } = await t.db.query<{ sql: string }>('SELECT format($$ALTER ROLE %I PASSWORD %L$$, $1::text, $2::text) AS sql', [other, candidate]);
        await t.db.exec(rows[0]!.sql);
        const server = (await t.db.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [other])).rows[0]!.v;
        const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(server)!;
        expect(scramVerifier(candidate, { salt: Buffer.from(salt!, 'base64'), iterations: Number(iterations) })).toBe(server);
        expect(scramMatches(server, candidate)).toBe(true);
      }
    } finally {
      await t.db.exec(`DROP ROLE ${other}`);
    }
  });
});

async function currentDatabase(): Promise<string> {
  return (await t.db.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
}

async function verifyAsRole() {
  const asRole = t.url ? await connectPostgres(t.url, { user: role, password }) : t.db;
  try {
    return await verifyReadOnly(asRole, { role, asRole: t.url ? 'connected' : 'set-role', readableTables: PHOENIX.readableTables, schema: PHOENIX_SQL.schema });
  } finally {
    if (asRole !== t.db) await asRole.close();
  }
}
