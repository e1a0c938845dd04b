import { MbSyncError } from '../core/errors.ts';
import { lineAt, type PgError, type SqlRunner } from './runner.ts';
import type { SqlFile } from './sql-files.ts';
import { withoutLeadingComments, type SqlStatement } from './sql-statements.ts';

/** Runs one file; an error names the file and the line it happened on. Nothing is kept (ROLLBACK). */
export async function runFile(db: SqlRunner, file: SqlFile): Promise<void> {
  await runStatement(db, file, { text: file.text, offset: 0 });
}

/** Runs one statement of a file, with the same errors as runFile. */
export async function runStatement(db: SqlRunner, file: SqlFile, statement: SqlStatement): Promise<void> {
  try {
    await db.exec(statement.text);
  } catch (error) {
    throw sqlError(file, statement, error);
  }
}

/** A server error as `file:line: message (detail)`, the line counted in the whole file. */
export function sqlError(file: SqlFile, statement: SqlStatement, error: unknown): MbSyncError {
  const e = error as PgError;
  if (e.code === LOCK_NOT_AVAILABLE) {
    return new MbSyncError('POSTGRES', `${startOf(file, statement)}: could not lock what this statement changes within lock_timeout: another session is using it`, { hint: LOCK_HINT, cause: error });
  }
  const line = lineAt(file.text, e.position === undefined ? undefined : statement.offset + Number(e.position));
  const where = `${file.name}${line === undefined ? '' : `:${line}`}`;
  return new MbSyncError('POSTGRES', `${where}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, {
    hint: 'nothing was applied: the whole db apply runs in one transaction',
    cause: error,
  });
}

/** lock_timeout ran out (postgres.lock_timeout_seconds): mb-sync gave up rather than queue in front of readers. */
export const LOCK_NOT_AVAILABLE = '55P03';
const LOCK_HINT = 'nothing was applied. Run it again once that session is done (pg_stat_activity: a long query, or a transaction left open), or raise postgres.lock_timeout_seconds';

/**
 * The lock the statement needed on `object` was not had in time: the error names the object and the
 * sessions holding it. Called with the transaction usable again (rolled back to a savepoint).
 */
export async function lockError(db: SqlRunner, file: SqlFile, statement: SqlStatement, object: string, error: unknown): Promise<MbSyncError> {
  const { rows } = await db.query<{ timeout: string; holders: string | null }>(
    `SELECT current_setting('lock_timeout') AS timeout,
       (SELECT string_agg(format('pid %s (%s)', l.pid, COALESCE(a.state, 'state not visible') || COALESCE(', transaction open since ' || to_char(a.xact_start, 'HH24:MI:SS'), '')), ', ' ORDER BY l.pid)
          FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND l.relation = to_regclass($1) AND l.granted AND l.pid <> pg_backend_pid()) AS holders`, [object]);
  const { timeout, holders } = rows[0]!;
  return new MbSyncError('POSTGRES', `${startOf(file, statement)}: could not lock ${object} within ${timeout} (lock_timeout): it is in use${holders ? ` by ${holders}` : ''}`, { hint: LOCK_HINT, cause: error });
}

/** `file:line` of the statement's first word. */
function startOf(file: SqlFile, statement: SqlStatement): string {
  const first = statement.offset + statement.text.length - withoutLeadingComments(statement.text).length;
  return `${file.name}:${lineAt(file.text, first + 1)}`;
}
