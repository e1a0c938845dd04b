import type { Command } from 'commander';
import { MbSyncError } from '../../core/errors.ts';
import { redactText } from '../../core/secrets.ts';
import type { SqlRunner } from '../../postgres/runner.ts';
import { globalOptions } from './global-options.ts';
import { join, relative } from 'node:path';

const say = (text: string) => process.stderr.write(redactText(text));
const json = (value: unknown) => process.stdout.write(redactText(`${JSON.stringify(value, null, 2)}\n`));

// pg, PGlite and the config schemas load only when a db command runs (start-up stays fast).
const settingsFor = async (command: Command) => {
  const { readPostgresSettings } = await import('../../postgres/postgres-config.ts');
  const global = globalOptions(command);
  return readPostgresSettings(global.configPath, process.env, { required: global.configExplicit });
};
const passwordFor = async (settings: Awaited<ReturnType<typeof settingsFor>>) => (await import('../../postgres/postgres-config.ts')).readonlyPassword(settings, process.env);

async function withConnection<T>(url: string, options: { user?: string; password?: string; label: string }, fn: (db: SqlRunner) => Promise<T>): Promise<T> {
  const { connectPostgres } = await import('../../postgres/connect.ts');
  const db = await connectPostgres(url, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function register(program: Command): void {
  const db = program.command('db').description('the Postgres side: read-only role, views (<postgres.sql_dir>/<postgres.schema>), checks, retention');

  const applyOrPlan = (dryRun: boolean) => async (options: { json?: boolean }, command: Command) => {
    const settings = await settingsFor(command);
    const password = await passwordFor(settings);
    const { role, passwordEnv } = (await import('../../postgres/postgres-config.ts')).requireRole(settings);
    const { applyAnalytics } = await import('../../postgres/apply-analytics.ts');
    const report = await withConnection(settings.url, { label: 'admin connection' }, (conn) =>
      applyAnalytics(conn, { role, password, timezone: settings.timezone, readableTables: settings.readableTables, sql: settings.sql, lockTimeoutSeconds: settings.lockTimeoutSeconds, dryRun }));
    if (options.json) {
      json(report);
      return;
    }
    say(`${report.views.length} views in schema ${settings.sql.schema} (timezone ${report.timezone}); role ${role}, password from ${passwordEnv}\n`);
    if (report.changes.length === 0) {
      say('✓ No changes: the views and the role are as the files say.\n');
      return;
    }
    for (const line of report.changes) say(`  ${line}\n`);
    say(dryRun ? `${report.changes.length} change(s) planned; nothing was changed (run \`mb-sync db apply\`).\n` : `✓ ${report.changes.length} change(s) applied.\n`);
  };

  db.command('plan')
    .description('show what `db apply` would change (views, grants and revocations, password), changing nothing')
    .option('--json', 'print the result as JSON on stdout')
    .action(applyOrPlan(true));

  db.command('apply')
    .description('create or update the views and the read-only role, in one transaction; only what changed')
    .option('--json', 'print the result as JSON on stdout')
    .action(applyOrPlan(false));

  db.command('verify')
    .description('prove, as the read-only role, that the views answer and every write is refused')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (options: { json?: boolean }, command: Command) => {
      const settings = await settingsFor(command);
      const password = await passwordFor(settings);
      const { role } = (await import('../../postgres/postgres-config.ts')).requireRole(settings);
      const { verifyReadOnly } = await import('../../postgres/verify.ts');
      const items = await withConnection(settings.url, { user: role, password, label: `read-only role ${role}` }, (conn) => verifyReadOnly(conn, { role, asRole: 'connected', readableTables: settings.readableTables, schema: settings.sql.schema }));
      if (options.json) json(items);
      else for (const i of items) say(`${i.ok ? '✓' : '✗'} ${i.item}: ${i.detail}\n`);
      const failed = items.filter((i) => !i.ok);
      if (failed.length > 0) throw new MbSyncError('CHECK_FAILED', `${failed.length} privilege check(s) failed: ${failed.map((f) => f.item).join('; ')}`, { hint: 'run `mb-sync db apply` to restore the role and its grants' });
    });

  db.command('check')
    .description('run the data-quality checks (<sql_dir>/checks); exit 1 when one fails')
    .option('--json', 'print the results as JSON on stdout (for CI)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const settings = await settingsFor(command);
      const { runChecks } = await import('../../postgres/run-checks.ts');
      const results = await withConnection(settings.url, { label: 'admin connection' }, (conn) => runChecks(conn, settings.sql.dir));
      if (options.json) json(results);
      else if (results.length === 0) say(`No data-quality checks: ${relative(process.cwd(), join(settings.sql.dir, 'checks')) || '.'}/*.sql holds none.\n`);
      else {
        const width = Math.max(...results.map((r) => r.check.length), 5);
        say(`${'check'.padEnd(width)}  ${'rows'.padStart(6)}  ${'threshold'.padStart(9)}  status\n`);
        for (const r of results) say(`${r.check.padEnd(width)}  ${String(r.rows).padStart(6)}  ${String(r.threshold).padStart(9)}  ${r.status}\n`);
      }
      const failed = results.filter((r) => r.status === 'fail');
      if (failed.length > 0) throw new MbSyncError('CHECK_FAILED', `${failed.length} data-quality check(s) failed: ${failed.map((f) => f.check).join(', ')}`);
    });

  db.command('purge')
    .description('retention: delete event rows (postgres.retention_table, by postgres.retention_column) older than N months (dry run unless --execute)')
    .option('--older-than-months <n>', 'age limit in months (default: postgres.retention_months, 12)')
    .option('--execute', 'really delete (default: only count)')
    .action(async (options: { olderThanMonths?: string; execute?: boolean }, command: Command) => {
      const settings = await settingsFor(command);
      const months = options.olderThanMonths === undefined ? settings.retentionMonths : Number(options.olderThanMonths);
      const retention = settings.retention;
      if (retention === undefined) throw new MbSyncError('CONFIG_INVALID', 'db purge needs postgres.retention_table and postgres.retention_column: the event table it trims and its timestamp column', { hint: 'e.g. retention_table: AnalyticsEvent, retention_column: createdAt' });
      const { purgeAnalyticsEvents } = await import('../../postgres/purge.ts');
      const report = await withConnection(settings.url, { label: 'admin connection' }, (conn) => purgeAnalyticsEvents(conn, { months, execute: Boolean(options.execute), ...(settings.role === undefined ? {} : { readonlyRole: settings.role }), ...retention }));
      say(report.executed
        ? `✓ deleted ${report.rows} ${retention.table} row(s) older than ${months} months\n`
        : `${report.rows} ${retention.table} row(s) older than ${months} months${report.oldest ? ` (oldest ${report.oldest})` : ''}; nothing deleted${options.execute ? '' : ' (dry run: add --execute)'}\n`);
    });
}
