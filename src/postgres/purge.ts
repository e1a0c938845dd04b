import { MbSyncError } from '../core/errors.ts';
import type { SqlRunner } from './runner.ts';

export interface PurgeReport {
  months: number;
  rows: number;
  oldest: string | null;
  executed: boolean;
}

/**
 * Retention of the event table the config names (postgres.retention_table by retention_column;
 * Phoenix: "AnalyticsEvent" by "createdAt", brief §6): counts by default, deletes only with `execute`.
 */
export async function purgeAnalyticsEvents(db: SqlRunner, options: { months: number; execute: boolean; readonlyRole?: string; table: string; column: string }): Promise<PurgeReport> {
  if (!Number.isInteger(options.months) || options.months < 1) throw new MbSyncError('CONFIG_INVALID', '--older-than-months must be a whole number of months, at least 1');
  const who = (await db.query<{ user: string }>('SELECT current_user AS user')).rows[0]!.user;
  if (who === options.readonlyRole) throw new MbSyncError('POSTGRES', `refusing to purge as the read-only role ${who}: use the admin connection (DATABASE_URL)`);
  const table = options.table.split('.').map(quoteIdent).join('.');
  const column = quoteIdent(options.column);
  const { rows } = await db.query<{ rows: number; oldest: Date | null }>(
    `SELECT count(*)::integer AS rows, min(${column}) AS oldest FROM ${table} WHERE ${column} < now() - make_interval(months => $1::integer)`,
    [options.months],
  );
  const report: PurgeReport = { months: options.months, rows: Number(rows[0]?.rows ?? 0), oldest: rows[0]?.oldest ? new Date(rows[0].oldest).toISOString() : null, executed: false };
  if (options.execute && report.rows > 0) {
    await db.query(`DELETE FROM ${table} WHERE ${column} < now() - make_interval(months => $1::integer)`, [options.months]);
    report.executed = true;
  }
  return report;
}

/** The config's patterns allow only letters, digits and _: quoting keeps the case ("createdAt"). */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
