import { MbSyncError } from '../core/errors.ts';
import { LOCK_NOT_AVAILABLE, lockError, runStatement, sqlError } from './run-sql.ts';
import type { PgError, SqlRunner } from './runner.ts';
import { viewDefinition } from './snapshot.ts';
import type { SqlFile } from './sql-files.ts';
import { splitStatements, withoutLeadingComments, type SqlStatement } from './sql-statements.ts';

/** A name as Postgres reads it: a "quoted" part kept as written (its "" a quote), others in lower case. */
const IDENT = String.raw`(?:"(?:[^"]|"")+"|[\p{L}_][\p{L}\p{N}_$]*)`;
const VIEW = new RegExp(String.raw`^CREATE\s+OR\s+REPLACE\s+VIEW\s+(${IDENT}(?:\s*\.\s*${IDENT})?)`, 'iu');

/**
 * The view's name as quote_ident writes it (how dependentsOf names views): unquoted parts folded to
 * lower case, quoted ones unquoted when they need no quotes, spaces around the dot dropped.
 */
function viewName(written: string): string {
  return [...written.matchAll(new RegExp(IDENT, 'gu'))].map(([part]) => {
    if (!part.startsWith('"')) return part.toLowerCase();
    const name = part.slice(1, -1).replace(/""/g, '"');
    return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
  }).join('.');
}

interface FileStatement {
  file: SqlFile;
  statement: SqlStatement;
  /** The view it makes (`CREATE OR REPLACE VIEW analytics.x`): the only views mb-sync may drop. */
  view?: string;
}

/**
 * Runs the views files statement by statement, and a view's only when the catalog does not already
 * hold what it makes: replacing a view takes ACCESS EXCLUSIVE on it, which waits for every open
 * transaction reading it and makes every new reader wait behind, so an unchanged view is never
 * replaced. The other statements (schema, functions, comments) run every time: none of them waits on
 * a reader. In file order, so a view is compared with the views it is built on as they now are.
 */
export async function replaceViews(db: SqlRunner, files: SqlFile[]): Promise<void> {
  const statements: FileStatement[] = files.flatMap((file) => splitStatements(file.text).map((statement) => {
    const written = VIEW.exec(withoutLeadingComments(statement.text))?.[1];
    const view = written === undefined ? undefined : viewName(written);
    return view === undefined ? { file, statement } : { file, statement, view };
  }));
  const managed = new Set(statements.flatMap((s) => (s.view === undefined ? [] : [s.view])));
  for (const [index, s] of statements.entries()) {
    if (s.view === undefined) await runStatement(db, s.file, s.statement);
    else if (!(await isCurrent(db, s.statement, s.view))) await replaceView(db, s as Required<FileStatement>, managed, statements.slice(0, index));
  }
}

/**
 * Whether the view already is what the statement makes: the statement is run as a temporary view
 * (which locks nothing readers wait on) and compared with the live one as the snapshot sees views
 * (query, columns, options), so a view replaced is a view reported. Undone before returning.
 */
async function isCurrent(db: SqlRunner, statement: SqlStatement, view: string): Promise<boolean> {
  const { rows: live } = await db.query<{ oid: string }>("SELECT oid::text FROM pg_class WHERE oid = to_regclass($1) AND relkind = 'v'", [view]);
  if (live.length === 0) return false;
  await db.exec('SAVEPOINT mb_sync_probe');
  try {
    await db.exec(withoutLeadingComments(statement.text).replace(VIEW, 'CREATE VIEW pg_temp.mb_sync_probe'));
    const { rows } = await db.query<{ same: boolean }>(
      `SELECT ${viewDefinition("'pg_temp.mb_sync_probe'::regclass")} = ${viewDefinition('$1::oid')} AS same`, [live[0]!.oid]);
    return rows[0]?.same === true;
  } catch {
    return false; // the statement itself runs next, and its error names the file and the line
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT mb_sync_probe');
    await db.exec('RELEASE SAVEPOINT mb_sync_probe');
  }
}

/**
 * Replaces the view in place. When its columns change in a way CREATE OR REPLACE cannot do (a column
 * removed, renamed or retyped), it is dropped and made again — with mb-sync's own views built on it —
 * but never when anything else is built on it: then nothing is applied and those objects are named.
 */
async function replaceView(db: SqlRunner, s: Required<FileStatement>, managed: Set<string>, earlier: FileStatement[]): Promise<void> {
  // A lock not had within lock_timeout: back to the savepoint, to ask who holds it.
  const locking = async (object: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if ((error as PgError).code !== LOCK_NOT_AVAILABLE) throw error;
      await db.exec('ROLLBACK TO SAVEPOINT mb_sync_view');
      throw await lockError(db, s.file, s.statement, object, error);
    }
  };
  await db.exec('SAVEPOINT mb_sync_view');
  try {
    await locking(s.view, () => db.exec(s.statement.text));
  } catch (error) {
    if (error instanceof MbSyncError) throw error;
    await db.exec('ROLLBACK TO SAVEPOINT mb_sync_view');
    const cause = error as PgError;
    if (cause.code !== '42P16') throw sqlError(s.file, s.statement, error);
    const dependents = await dependentsOf(db, s.view);
    const foreign = dependents.filter((d) => !managed.has(d));
    if (foreign.length > 0) {
      throw new MbSyncError('POSTGRES', `${s.file.name}: the columns of ${s.view} change (${cause.message}), and these objects depend on it: ${foreign.join(', ')}`, {
        hint: 'nothing was applied. mb-sync never drops what it did not create: drop or adapt those objects, then run db apply again',
      });
    }
    // Dependents first (they are mb-sync's own views, made again from the files), never CASCADE.
    for (const name of [...dependents].reverse().concat(s.view)) await locking(name, () => db.exec(`DROP VIEW IF EXISTS ${name}`));
    await runStatement(db, s.file, s.statement);
    // Those the files make later are made when their turn comes; those already passed, now.
    for (const d of earlier.filter((e) => e.view !== undefined && dependents.includes(e.view))) await runStatement(db, d.file, d.statement);
  }
  await db.exec('RELEASE SAVEPOINT mb_sync_view');
}

/** Views and materialized views built on `view`, directly or not, nearest first. */
async function dependentsOf(db: SqlRunner, view: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `WITH RECURSIVE deps(oid, depth) AS (
       SELECT $1::regclass::oid, 0
       UNION
       SELECT rw.ev_class, deps.depth + 1 FROM deps
         JOIN pg_depend d ON d.refobjid = deps.oid AND d.classid = 'pg_rewrite'::regclass
         JOIN pg_rewrite rw ON rw.oid = d.objid
         WHERE rw.ev_class <> deps.oid AND deps.depth < 20)
     SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE deps.depth > 0 GROUP BY 1 ORDER BY min(deps.depth), 1`, [view]);
  return rows.map((r) => r.name);
}
