import type { SqlRunner } from './runner.ts';

export interface VerifyItem {
  item: string;
  ok: boolean;
  detail: string;
}

const PRIVILEGE_DENIED = '42501';

/**
 * Proves the brief's §7 as the read-only role itself: every view answers, every write and every
 * forbidden read is refused, the analytics schema is visible. Each probe runs in a transaction that
 * is rolled back, so nothing changes even if a write were (wrongly) allowed.
 */
export async function verifyReadOnly(db: SqlRunner, options: { role: string; asRole: 'connected' | 'set-role' }): Promise<VerifyItem[]> {
  const items: VerifyItem[] = [];
  const probe = async (item: string, sql: string, expect: 'ok' | 'denied') => {
    await db.exec('BEGIN');
    try {
      if (options.asRole === 'set-role') await db.exec(`SET LOCAL ROLE ${options.role}`);
      await db.query(sql);
      items.push({ item, ok: expect === 'ok', detail: expect === 'ok' ? 'answers' : 'ALLOWED, but must be refused' });
    } catch (error) {
      const e = error as { code?: string; message: string };
      const denied = e.code === PRIVILEGE_DENIED;
      items.push({ item, ok: expect === 'denied' ? denied : false, detail: expect === 'denied' && denied ? 'refused' : e.message });
    } finally {
      await db.exec('ROLLBACK').catch(() => {});
    }
  };

  await db.exec('BEGIN');
  if (options.asRole === 'set-role') await db.exec(`SET LOCAL ROLE ${options.role}`);
  const who = (await db.query<{ user: string }>('SELECT current_user AS user')).rows[0]!.user;
  const views = (await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'analytics' AND table_type = 'VIEW' ORDER BY 1")).rows.map((r) => r.name);
  await db.exec('ROLLBACK');
  items.push({ item: 'connected as the read-only role', ok: who === options.role, detail: `current_user = ${who}` });
  items.push({ item: 'schema analytics is visible', ok: views.length > 0, detail: `${views.length} views listed` });

  for (const view of views) await probe(`SELECT analytics.${view}`, `SELECT * FROM analytics."${view}" LIMIT 20`, 'ok');
  for (const table of ['AnalyticsEvent', 'EnergyWallet', 'EnergyTransaction']) await probe(`SELECT "${table}"`, `SELECT * FROM "${table}" LIMIT 1`, 'ok');
  const denied: Array<[string, string]> = [
    ['INSERT INTO "AnalyticsEvent"', `INSERT INTO "AnalyticsEvent" ("id", "type") VALUES ('mb-sync-verify', 'VERIFY')`],
    ['UPDATE "EnergyWallet"', 'UPDATE "EnergyWallet" SET "balance" = "balance"'],
    ['DELETE FROM "EnergyTransaction"', 'DELETE FROM "EnergyTransaction"'],
    ['TRUNCATE "AnalyticsEvent"', 'TRUNCATE "AnalyticsEvent"'],
    ['SELECT "User" (e-mails)', 'SELECT "email" FROM "User" LIMIT 1'],
    ['SELECT "WorkerRun" directly', 'SELECT * FROM "WorkerRun" LIMIT 1'],
    ['CREATE TABLE in public', 'CREATE TABLE public.mb_sync_verify (x int)'],
    ['CREATE VIEW in analytics', 'CREATE VIEW analytics.mb_sync_verify AS SELECT 1 AS x'],
  ];
  for (const [item, sql] of denied) await probe(item, sql, 'denied');
  return items;
}
