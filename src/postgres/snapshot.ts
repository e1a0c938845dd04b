import type { SqlRunner } from './runner.ts';

/**
 * What `db apply` manages, read from the catalogs: the views of the analytics schema and everything
 * the read-only role holds (attributes, memberships, database, schema, table, column and default
 * privileges). Taken before and after the apply, the difference is the plan (`db plan` rolls the
 * transaction back; `db apply` commits it, unless it is empty) — so "role updated" is printed only when
 * it was, and whatever the files change must show here, or an apply changing only that would be
 * rolled back as a no-op: hence the functions' whole definitions, and the comments and other roles'
 * privileges on the schema's objects.
 */
export interface Snapshot {
  roleExists: boolean;
  views: Record<string, string>;
  functions: Record<string, string>;
  attributes: string[];
  memberships: string[];
  /** `database CONNECT`, `schema analytics USAGE`, `table analytics.vw_x SELECT`, `column public.t.c SELECT`, `default analytics TABLES SELECT`. */
  privileges: string[];
  /** Lines such as `comment on view analytics.vw_x` or `privileges of other roles on view analytics.vw_x`, with the object's name and the value. */
  extras: Record<string, { of: string; value: string }>;
}

/**
 * What a view is, as one text: its query as the catalog prints it, its columns (name, type, collation)
 * and its options (security_invoker, check_option…). Two views with the same text are the same view:
 * db apply replaces a view only when this changes (replace-views.ts), and reports it from this.
 */
export function viewDefinition(oid: string): string {
  return `pg_get_viewdef(${oid})
    || ARRAY(SELECT (a.attname, format_type(a.atttypid, a.atttypmod), a.attcollation)::text FROM pg_attribute a WHERE a.attrelid = ${oid} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text
    || COALESCE((SELECT reloptions::text FROM pg_class WHERE oid = ${oid}), '')`;
}

export async function takeSnapshot(db: SqlRunner, role: string, schema = 'analytics'): Promise<Snapshot> {
  const views = await db.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, ${viewDefinition('c.oid')} AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') ORDER BY 1`, [schema]);
  const functions = await db.query<{ name: string; def: string }>(
    `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prosrc END AS def
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`, [schema]);
  const exists = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [role])).rows[0]!.n > 0;
  const base = {
    views: Object.fromEntries(views.rows.map((r) => [`${schema}.${r.name}`, r.def])),
    functions: Object.fromEntries(functions.rows.map((r) => [`${schema}.${r.name}`, r.def])),
    extras: await extrasOf(db, role, schema),
  };
  if (!exists) return { roleExists: false, ...base, attributes: [], memberships: [], privileges: [] };
  return { roleExists: true, ...base, attributes: await attributesOf(db, role), memberships: await membershipsOf(db, role), privileges: await privilegesOf(db, role) };
}

async function attributesOf(db: SqlRunner, role: string): Promise<string[]> {
  const { rows } = await db.query<Record<string, boolean>>(
    'SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1', [role]);
  const r = rows[0]!;
  const names: Record<string, string> = { rolsuper: 'SUPERUSER', rolcreatedb: 'CREATEDB', rolcreaterole: 'CREATEROLE', rolreplication: 'REPLICATION', rolbypassrls: 'BYPASSRLS', rolcanlogin: 'LOGIN', rolinherit: 'INHERIT' };
  return Object.entries(names).filter(([k]) => r[k]).map(([, v]) => v);
}

async function membershipsOf(db: SqlRunner, role: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT g.rolname AS name FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
     WHERE r.rolname = $1 ORDER BY 1`, [role]);
  return rows.map((r) => r.name);
}

/** Privileges granted to the role itself (not through PUBLIC or a membership: those are revoked as memberships). */
async function privilegesOf(db: SqlRunner, role: string): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT 'database ' || a.privilege_type AS line FROM pg_database d, aclexplode(d.datacl) a, r
       WHERE d.datname = current_database() AND a.grantee = r.oid
     UNION ALL
     SELECT 'schema ' || n.nspname || ' ' || a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a, r WHERE a.grantee = r.oid
     UNION ALL
     SELECT 'table ' || n.nspname || '.' || c.relname || ' ' || a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a, r
       WHERE a.grantee = r.oid AND c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')
     UNION ALL
     SELECT 'column ' || n.nspname || '.' || c.relname || '.' || t.attname || ' ' || a.privilege_type
       FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(t.attacl) a, r
       WHERE a.grantee = r.oid AND t.attnum > 0 AND NOT t.attisdropped
     UNION ALL
     SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || a.privilege_type
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a, r WHERE a.grantee = r.oid
     UNION ALL
     SELECT 'default ' || COALESCE(n.nspname, '*') || ' ' || CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END || ' ' || a.privilege_type || ' (by ' || pg_get_userbyid(d.defaclrole) || ')'
       FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a, r WHERE a.grantee = r.oid
     ORDER BY 1`, [role]);
  return rows.map((r) => r.line);
}

/** Comments on the schema's objects and their columns, and the privileges of roles other than `role` on them. */
async function extrasOf(db: SqlRunner, role: string, schema: string): Promise<Snapshot['extras']> {
  const { rows } = await db.query<{ line: string; of: string; value: string }>(
    `WITH objects AS (
       SELECT c.oid, 'pg_class' AS catalog, CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END AS kind,
              n.nspname || '.' || c.relname AS name, COALESCE(c.relacl, acldefault('r', c.relowner)) AS acl
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
       UNION ALL
       SELECT p.oid, 'pg_proc', 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', COALESCE(p.proacl, acldefault('f', p.proowner))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $2)
     SELECT 'privileges of other roles on ' || kind || ' ' || name AS line, name AS of,
            COALESCE((SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ' ' || a.privilege_type, ', ' ORDER BY 1)
                        FROM aclexplode(acl) a WHERE a.grantee IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = $1)), '') AS value
       FROM objects
     UNION ALL
     SELECT 'comment on ' || kind || ' ' || name, name, obj_description(oid, catalog) FROM objects WHERE obj_description(oid, catalog) IS NOT NULL
     UNION ALL
     SELECT 'comment on column ' || name || '.' || t.attname, name, col_description(o.oid, t.attnum)
       FROM objects o JOIN pg_attribute t ON t.attrelid = o.oid AND o.catalog = 'pg_class' AND t.attnum > 0 WHERE col_description(o.oid, t.attnum) IS NOT NULL`, [role, schema]);
  return Object.fromEntries(rows.map((r) => [r.line, { of: r.of, value: r.value }]));
}

/** What changed between two snapshots, as lines a person reads (`+ view …`, `- grant …`). */
export function diffSnapshots(before: Snapshot, after: Snapshot, role: string): string[] {
  const out: string[] = [];
  if (!before.roleExists && after.roleExists) out.push(`+ role ${role}`);
  for (const [name, def] of Object.entries(after.views)) {
    if (before.views[name] === undefined) out.push(`+ view ${name}`);
    else if (before.views[name] !== def) out.push(`~ view ${name} (definition changed)`);
  }
  for (const [name, def] of Object.entries(after.functions)) {
    if (before.functions[name] === undefined) out.push(`+ function ${name}`);
    else if (before.functions[name] !== def) out.push(`~ function ${name} (definition changed)`);
  }
  const sets = (label: string, a: string[], b: string[], add: string, remove: string) => {
    for (const x of b) if (!a.includes(x)) out.push(`+ ${add} ${x}${label}`);
    for (const x of a) if (!b.includes(x)) out.push(`- ${remove} ${x}${label}`);
  };
  if (before.roleExists) sets('', before.attributes, after.attributes, `role ${role}:`, `role ${role}:`);
  sets('', before.memberships, after.memberships, 'membership in', 'membership in (revoked)');
  sets('', before.privileges, after.privileges, 'grant', 'grant (revoked)');
  // Only on objects there before and after: a new view's are part of `+ view`.
  const objects = (snapshot: Snapshot) => new Set(Object.values(snapshot.extras).map((e) => e.of));
  const [was, is] = [objects(before), objects(after)];
  for (const line of new Set([...Object.keys(before.extras), ...Object.keys(after.extras)])) {
    const of = (after.extras[line] ?? before.extras[line])!.of;
    if (was.has(of) && is.has(of) && before.extras[line]?.value !== after.extras[line]?.value) out.push(`~ ${line}`);
  }
  return out;
}
