import { MbSyncError } from '../core/errors.ts';
import { lineAt, type PgError, type SqlRunner } from './runner.ts';
import type { SqlFile } from './sql-files.ts';
import type { SqlStatement } from './sql-statements.ts';

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
  const line = lineAt(file.text, e.position === undefined ? undefined : statement.offset + Number(e.position));
  const where = `${file.name}${line === undefined ? '' : `:${line}`}`;
  return new MbSyncError('POSTGRES', `${where}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, {
    hint: 'nothing was applied: the whole db apply runs in one transaction',
    cause: error,
  });
}
