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
export async function verifyReadOnly(db: SqlRunner, options: { role: string; asRole: 'connected' | 'set-role'; readableTables: string[]; schema: string }): Promise<VerifyItem[]> {
  const readable = options.readableTables;
  const schema = options.schema;
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
  const views = (await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'VIEW' ORDER BY 1", [schema])).rows.map((r) => r.name);
  const others = await otherTables(db, schema, readable);
  await db.exec('ROLLBACK');
  items.push({ item: 'connected as the read-only role', ok: who === options.role, detail: `current_user = ${who}` });
  items.push({ item: `schema ${schema} is visible`, ok: views.length > 0, detail: `${views.length} views listed` });

  for (const view of views) await probe(`SELECT ${schema}.${view}`, `SELECT * FROM ${quoted(`${schema}.${view}`)} LIMIT 20`, 'ok');
  for (const table of readable) await probe(`SELECT ${shown(table)}`, `SELECT * FROM ${quoted(table)} LIMIT 1`, 'ok');
  items.push(...(await inheritedRights(db, options, readable, schema)));
  // Every kind of write on every table the role may read, every other app table, and CREATE: the
  // privilege check comes before any constraint, so a refusal is 42501 whatever the row would be.
  const denied: Array<[string, string]> = [
    ...readable.flatMap((table): Array<[string, string]> => [
      [`INSERT INTO ${shown(table)}`, `INSERT INTO ${quoted(table)} DEFAULT VALUES`],
      [`UPDATE ${shown(table)}`, `UPDATE ${quoted(table)} SET ${firstColumn(others, table)}`],
      [`DELETE FROM ${shown(table)}`, `DELETE FROM ${quoted(table)}`],
      [`TRUNCATE ${shown(table)}`, `TRUNCATE ${quoted(table)}`],
    ]),
    ...others.tables.filter((t) => !t.readable).map((t): [string, string] => [`SELECT ${shown(t.name)} (not granted)`, `SELECT * FROM ${quoted(t.name)} LIMIT 1`]),
    ['CREATE TABLE in public', 'CREATE TABLE public.mb_sync_verify (x int)'],
    [`CREATE VIEW in ${schema}`, `CREATE VIEW ${quoted(schema)}.mb_sync_verify AS SELECT 1 AS x`],
  ];
  for (const [item, sql] of denied) await probe(item, sql, 'denied');
  return items;
}

/**
 * What the role can do through anything it holds — memberships (pg_write_all_data, another role),
 * database privileges, grants in other schemas — asked of the server as the role itself
 * (has_*_privilege counts inherited rights): nothing beyond reading the views and the named tables.
 */
async function inheritedRights(db: SqlRunner, options: { role: string; asRole: 'connected' | 'set-role' }, readable: string[], schema: string): Promise<VerifyItem[]> {
  await db.exec('BEGIN');
  try {
    if (options.asRole === 'set-role') await db.exec(`SET LOCAL ROLE ${options.role}`);
    const memberships = (await db.query<{ name: string }>(
      'SELECT g.rolname AS name FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = current_user ORDER BY 1')).rows.map((r) => r.name);
    const database = (await db.query<{ create: boolean }>("SELECT has_database_privilege(current_database(), 'CREATE') AS create")).rows[0]!.create;
    const allowed = new Set(readable.map((t) => (t.includes('.') ? t : `public.${t}`).toLowerCase()));
    const { rows } = await db.query<{ name: string; read: boolean; write: boolean }>(
      `SELECT n.nspname || '.' || c.relname AS name,
              has_table_privilege(c.oid, 'SELECT') AS read,
              has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE') AS write
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`);
    const writable = rows.filter((r) => r.write).map((r) => r.name);
    const extra = rows.filter((r) => r.read && !r.name.toLowerCase().startsWith(`${schema}.`) && !allowed.has(r.name.toLowerCase())).map((r) => r.name);
    const schemas = (await db.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE has_schema_privilege(oid, 'CREATE') AND nspname NOT LIKE 'pg_%' ORDER BY 1")).rows.map((r) => r.name);
    return [
      { item: 'no role memberships (no inherited rights)', ok: memberships.length === 0, detail: memberships.length === 0 ? 'none' : `member of ${memberships.join(', ')}` },
      { item: 'no CREATE on the database', ok: !database, detail: database ? 'CREATE allowed, but must be refused' : 'refused' },
      { item: 'no CREATE in any schema', ok: schemas.length === 0, detail: schemas.length === 0 ? 'refused' : `CREATE allowed in ${schemas.join(', ')}` },
      { item: 'no write on any table, by any grant', ok: writable.length === 0, detail: writable.length === 0 ? 'refused' : `can write ${writable.slice(0, 10).join(', ')}${writable.length > 10 ? '…' : ''}` },
      { item: 'reads only the views and the named tables', ok: extra.length === 0, detail: extra.length === 0 ? 'nothing else' : `can also read ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? '…' : ''}` },
    ];
  } finally {
    await db.exec('ROLLBACK').catch(() => {});
  }
}

/** `"AnalyticsEvent"` for a table of public, `shop."order"` otherwise, as the items name them. */
function shown(table: string): string {
  const [schema, name] = table.includes('.') ? table.split('.') as [string, string] : ['public', table];
  return schema === 'public' ? `"${name}"` : `${schema}."${name}"`;
}

function quoted(table: string): string {
  return table.split('.').map((p) => `"${p.replaceAll('"', '""')}"`).join('.');
}

interface OtherTables {
  /** Base tables outside the views' schema and the system schemas, `schema.name` (`name` alone in public). */
  tables: Array<{ name: string; readable: boolean }>;
  firstColumns: Map<string, string>;
}

/** The app's base tables as the catalog shows them to the role (names are visible, contents are not). */
async function otherTables(db: SqlRunner, schema: string, readable: string[]): Promise<OtherTables> {
  const canonical = (t: string) => (t.includes('.') ? t : `public.${t}`).toLowerCase();
  const allowed = new Set(readable.map(canonical));
  const { rows } = await db.query<{ schema: string; name: string; first: string }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1) AS first
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1) AND n.nspname NOT LIKE 'pg_%'
     ORDER BY 1, 2`, [schema]);
  const tables = rows.map((r) => ({ name: r.schema === 'public' ? r.name : `${r.schema}.${r.name}`, readable: allowed.has(`${r.schema}.${r.name}`.toLowerCase()) }));
  return { tables, firstColumns: new Map(rows.map((r) => [`${r.schema}.${r.name}`.toLowerCase(), r.first])) };
}

function firstColumn(others: OtherTables, table: string): string {
  const column = others.firstColumns.get((table.includes('.') ? table : `public.${table}`).toLowerCase()) ?? 'id';
  return `"${column}" = "${column}"`;
}
