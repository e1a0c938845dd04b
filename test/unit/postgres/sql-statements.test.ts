import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitStatements, withoutLeadingComments } from '../../../src/postgres/sql-statements.ts';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text.trim());

describe('splitStatements', () => {
  it('cuts at top-level semicolons only', () => {
    expect(texts(`SELECT 'a;b', "c;d", E'it\\'s;'; SELECT $$x;y$$; SELECT $f$ $$; $f$ -- a; comment
      ; /* a /* nested; */ comment; */ SELECT (1;2)`)).toEqual([
      `SELECT 'a;b', "c;d", E'it\\'s;'`,
      'SELECT $$x;y$$',
      'SELECT $f$ $$; $f$ -- a; comment',
      '/* a /* nested; */ comment; */ SELECT (1;2)',
    ]);
  });

  it('keeps a BEGIN ATOMIC body whole, CASE … END inside it included', () => {
    expect(texts("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; SELECT 3; SELECT 'it''s'; SELECT a$b")).toEqual([
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END',
      'SELECT 3',
      "SELECT 'it''s'",
      'SELECT a$b',
    ]);
  });

  it('reads a dollar-quote tag with letters beyond ASCII, as Postgres does', () => {
    expect(texts('SELECT $função$a;b$função$; SELECT 2')).toEqual(['SELECT $função$a;b$função$', 'SELECT 2']);
  });

  it('leaves out empty statements and says where each starts', () => {
    const sql = '-- header\n;\nSELECT 1;\n\n  -- only a comment\n';
    expect(splitStatements(sql)).toEqual([{ text: '\nSELECT 1', offset: sql.indexOf('\nSELECT') }]);
    expect(withoutLeadingComments('  -- a\n /* b */ CREATE VIEW v')).toBe('CREATE VIEW v');
  });

  it('gives back every statement of the Phoenix views, each starting where the file says', async () => {
    const sql = await readFile(join(import.meta.dirname, '../../../sql/analytics/dashboard_views.sql'), 'utf8');
    const statements = splitStatements(sql);
    expect(statements.filter((s) => /^CREATE OR REPLACE VIEW/.test(withoutLeadingComments(s.text)))).toHaveLength(11);
    for (const s of statements) expect(sql.slice(s.offset, s.offset + s.text.length)).toBe(s.text);
  });
});
