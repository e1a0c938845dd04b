import { filterMappings } from '../core/filter-mappings.ts';
import { compileCard } from '../core/card-body.ts';
import { ConfigError, MbSyncError, type ConfigIssue } from '../core/errors.ts';
import type { Plan } from '../core/plan.ts';
import { unknownModelColumns } from '../core/model-columns.ts';
import { sampleSql } from '../core/native-sql-sample.ts';
import type { Origin, Project, ProjectCard } from '../core/project.ts';
import { collectRefs, parseRef } from '../core/refs.ts';
import { didYouMean } from '../core/suggest.ts';
import { openSandboxThread } from '../postgres/sandbox-thread.ts';
import { sqlLayout } from '../postgres/sql-files.ts';
import { createHash } from 'node:crypto';
import { openSqlCache, setupOf, viewsDigest, type EarlySandbox } from './early-sql-check.ts';

export interface ValidationSummary {
  cards: number;
  nativeCompiled: number;
  dashboards: number;
  issues: ConfigIssue[];
}

/**
 * What can be checked without Metabase, against the real view definitions in embedded Postgres:
 * every table and column a card, a filter mapping or the metadata names exists, and every
 * native card's SQL compiles (EXPLAIN) with its variables filled in.
 */
export async function validateOffline(project: Project): Promise<ValidationSummary> {
  const issues: ConfigIssue[] = [];
  const at = (origin: Origin, path: string, message: string) =>
    issues.push({ file: origin.file, path: [origin.path, path].filter(Boolean).join('.'), ...(origin.line === undefined ? {} : { line: origin.line }), message });
  // Embedded Postgres in this thread is loaded by `validate` only: plan and apply import this module
  // for their check, which runs it in a thread of its own (sandbox-thread.ts).
  const { openAnalyticsSandbox } = await import('../postgres/sandbox.ts');
  const sandbox = await openAnalyticsSandbox({ timezone: project.config.postgres.timezone, sql: sqlLayout(project.root, project.config.postgres) });
  try {
    const columns = await sandbox.columns();
    const tables = new Set(columns.map((c) => `${c.schema}.${c.table}`));
    const fields = new Set(columns.map((c) => `${c.schema}.${c.table}.${c.column}`));
    const checkRefs = (body: unknown, origin: Origin, path: string) => {
      for (const r of collectRefs(body)) {
        const { kind, name } = parseRef({ $ref: r });
        if (kind === 'table' && !tables.has(name)) at(origin, path, `unknown table ${name}${didYouMean(name, [...tables])}`);
        if (kind === 'field' && !fields.has(name)) {
          const table = name.split('.').slice(0, 2).join('.');
          const candidates = [...fields].filter((f) => f.startsWith(`${table}.`));
          at(origin, path, `unknown column ${name}${didYouMean(name, candidates.length ? candidates : [...fields])}`);
        }
      }
    };

    let nativeCompiled = 0;
    for (const entry of project.cards.values()) {
      let body;
      try {
        body = compileCard(project.config.project, project.config.database.key, entry).compare;
      } catch (error) {
        at(entry.origin, '', (error as Error).message);
        continue;
      }
      checkRefs(body.dataset_query, entry.origin, entry.card.sql ? 'params' : 'query');
      for (const miss of unknownModelColumns(entry.card, (table) => (tables.has(table) ? columns.filter((c) => `${c.schema}.${c.table}` === table).map((c) => c.column) : undefined))) {
        at(entry.origin, `columns.${miss.column}`, `the model has no column ${miss.column}${didYouMean(miss.column, miss.candidates)}`);
      }
      if (entry.card.sql === undefined) continue;
      const refused = await compileCardSql(sandbox, entry, sampleSql(entry.card.sql, entry.card.params ?? {}), project.config.postgres.schema);
      if (refused) issues.push(refused);
      nativeCompiled += 1;
    }
    // A filter mapped to a column that does not exist: named at the line of that mapping.
    for (const entry of project.dashboards) {
      for (const { path, line, field } of filterMappings(project, entry)) {
        if (fields.has(field)) continue;
        const table = field.split('.').slice(0, 2).join('.');
        issues.push({ file: entry.origin.file, path, ...(line === undefined ? {} : { line }), message: `unknown column ${field}${didYouMean(field, [...fields].filter((f) => f.startsWith(`${table}.`)))}` });
      }
    }
    // The timezone the views compute days in.
    const zone = (await sandbox.query<{ ok: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS ok', [project.config.postgres.timezone])).rows[0];
    if (!zone?.ok) {
      const line = project.configLines?.['postgres.timezone'];
      issues.push({ file: project.configFile, path: 'postgres.timezone', ...(line === undefined ? {} : { line }), message: `"${project.config.postgres.timezone}" is not a timezone PostgreSQL knows (e.g. Europe/Paris)` });
    }
    for (const [table, meta] of Object.entries(project.config.database.tables)) {
      const origin = { file: project.configFile, path: `database.tables.${table}` };
      if (!tables.has(table)) at(origin, '', `unknown table ${table}${didYouMean(table, [...tables])}`);
      else for (const column of Object.keys(meta.columns)) if (!fields.has(`${table}.${column}`)) at(origin, `columns.${column}`, `unknown column${didYouMean(column, columns.filter((c) => `${c.schema}.${c.table}` === table).map((c) => c.column))}`);
    }
    return { cards: project.cards.size, nativeCompiled, dashboards: project.dashboards.length, issues };
  } finally {
    await sandbox.close();
  }
}

/**
 * Native SQL of the cards a plan would create or change, compiled against the real view definitions
 * in embedded Postgres as `validate` does, so that a syntax error stops plan and apply before
 * anything is written (a no-op plan pays nothing).
 */
export interface NativeSqlCheck {
  run(cardKeys: string[]): Promise<ConfigIssue[]>;
  close(): Promise<void>;
}

/**
 * Starts the check before the plan is known: with `boot`, when some native SQL of the project did
 * not compile against these views before (the cache), embedded Postgres starts booting at once
 * (seconds, much of it while the plan waits on Metabase); `run` then compiles what the plan would
 * send. Without it, Postgres boots only if `run` needs it.
 */
export async function prepareNativeSqlCheck(project: Project, options: { boot?: boolean; early?: EarlySandbox; views?: string } = {}): Promise<NativeSqlCheck> {
  const layout = sqlLayout(project.root, project.config.postgres);
  const { timezone } = project.config.postgres;
  // One started before the project was read is used only if it was set up as the project says
  // (.env.local, read with the project, may give another timezone or folder).
  const early = options.early?.setup === setupOf(layout, timezone) ? options.early.runner : undefined;
  if (options.early !== undefined && early === undefined) await options.early.runner.close();
  // SQL that compiled against these very view definitions before (the plan, then its apply) is not
  // compiled again: the key covers the app tables, the views, the timezone and the SQL sent.
  const cache = await openSqlCache(project.root);
  const pending = new Map<string, { samples: string[]; key: string }>();
  let base: string;
  try {
    base = options.views ?? (await viewsDigest(layout, timezone));
    for (const entry of project.cards.values()) {
      if (entry.card.sql === undefined) continue;
      const samples = sampleSql(entry.card.sql, entry.card.params ?? {});
      const key = createHash('sha256').update(base).update(samples.join('\u0000')).digest('base64url');
      if (!cache?.get(key)) pending.set(entry.card.key, { samples, key });
    }
  } catch (error) {
    await early?.close();
    throw error;
  }
  if (pending.size === 0 && cache && !cache.get(`views:${base}`)) {
    // Nothing to compile against these views: the next apply of this checkout starts nothing ahead.
    cache.set(`views:${base}`, true);
    await cache.save();
  }
  // In a thread of its own (sandbox-thread.ts): its boot runs next to the plan, on another core.
  const boot = () => early ?? openSandboxThread({ timezone, sql: layout });
  let sandbox = pending.size === 0 || !options.boot ? undefined : boot();
  // The early one, not needed after all, stops at once.
  if (sandbox === undefined) await early?.close();
  const results = new Map<string, Promise<ConfigIssue | undefined>>();
  const schema = project.config.postgres.schema;
  const remember = (cardKey: string, result: Promise<ConfigIssue | undefined>) => {
    // What compiles is remembered as soon as it is known, asked for by this plan or not.
    result.then((refused) => {
      if (refused !== undefined) return;
      cache?.set(pending.get(cardKey)!.key, true);
      cache?.set(`views:${base}`, true);
    }, () => {});
    results.set(cardKey, result);
    return result;
  };
  const compileOne = (cardKey: string) => {
    const known = results.get(cardKey);
    if (known !== undefined) return known;
    sandbox ??= boot();
    return remember(cardKey, compileCardSql(sandbox, project.cards.get(cardKey)!, pending.get(cardKey)!.samples, schema));
  };
  // Booted ahead (apply): every card not known to compile is sent to the thread now, compiled
  // while the plan reads Metabase, a batch of cards per round trip; run() then only collects the
  // answers for what the plan changes.
  if (sandbox !== undefined) {
    const keys = [...pending.keys()];
    for (let i = 0; i < keys.length; i += SQL_BATCH) {
      const batch = keys.slice(i, i + SQL_BATCH).map((cardKey) => ({ cardKey, entry: project.cards.get(cardKey)!, samples: pending.get(cardKey)!.samples }));
      const answers = compileCardsSql(sandbox, batch, schema);
      batch.forEach(({ cardKey }, j) => remember(cardKey, answers.then((all) => all[j])));
    }
  }
  return {
    async run(cardKeys) {
      const issues: ConfigIssue[] = [];
      for (const cardKey of cardKeys) {
        const todo = pending.get(cardKey);
        if (todo === undefined) continue;
        const refused = await compileOne(cardKey);
        if (refused) issues.push(refused);
      }
      await cache?.save();
      return issues;
    },
    async close() {
      // Compiled ahead since run(): kept too. What is still compiling is not waited for.
      await cache?.save();
      await sandbox?.close();
    },
  };
}

/** A native card's SQL (each sample of its variables) against the views: the problem, or nothing. */
async function compileCardSql(sandbox: Sandbox, entry: ProjectCard, samples: string[], schema: string): Promise<ConfigIssue | undefined> {
  for (const sql of samples) {
    try {
      await compile(sandbox, sql);
    } catch (error) {
      // Embedded Postgres itself failed (a view file that does not run): that error, said once.
      if (error instanceof MbSyncError) throw error;
      const { origin } = entry;
      const line = origin.lines?.sql ?? origin.line;
      return { file: origin.file, path: [origin.path, 'sql'].filter(Boolean).join('.'), ...(line === undefined ? {} : { line }), message: `card.${entry.card.key}: the SQL does not compile against the ${schema} views: ${(error as Error).message}` };
    }
  }
  return undefined;
}

type Sandbox = { query(sql: string): Promise<unknown>; exec(sql: string): Promise<void> };

/** Cards whose SQL is compiled in one round trip to embedded Postgres (a cold apply of hundreds). */
const SQL_BATCH = 25;

/**
 * Several cards' SQL compiled in one exec (each statement as compile() does it): one round trip to
 * the thread and one pass of the protocol instead of one per statement. When any of them fails,
 * nothing says which, so each card of the batch is then compiled on its own to name it. SQL
 * holding a `;` is never batched (it goes through EXPLAIN, see compile()).
 */
async function compileCardsSql(sandbox: Sandbox, cards: Array<{ entry: ProjectCard; samples: string[] }>, schema: string): Promise<Array<ConfigIssue | undefined>> {
  const plain = (card: { samples: string[] }) => !card.samples.some((sql) => sql.includes(';'));
  const statements = cards.filter(plain).flatMap((c) => c.samples);
  let compiled = false;
  if (statements.length > 1) {
    try {
      await sandbox.exec(statements.map((sql, i) => prepareAndDrop(sql, `mb_sync_check_${i}`)).join('\n;'));
      compiled = true;
    } catch (error) {
      // Embedded Postgres itself failed (a view file that does not run): that error, said once.
      if (error instanceof MbSyncError) throw error;
      // Statements prepared before the failing one may be left (PREPARE is not transactional).
      await sandbox.exec('DEALLOCATE ALL');
    }
  }
  return Promise.all(cards.map((c) => (compiled && plain(c) ? undefined : compileCardSql(sandbox, c.entry, c.samples, schema))));
}

/**
 * Parses and analyses one statement against the views (names, types), without running it. PREPARE
 * and DEALLOCATE in one round trip cost a fifth of an EXPLAIN in embedded Postgres; SQL holding a
 * `;` goes through the extended protocol, which refuses a second statement as Metabase's would.
 */
async function compile(sandbox: Sandbox, sql: string): Promise<void> {
  if (sql.includes(';')) {
    // The option list makes a leading ANALYZE a syntax error: the statement is never run.
    await sandbox.query(`EXPLAIN (COSTS off) ${sql}`);
    return;
  }
  await sandbox.exec(prepareAndDrop(sql, 'mb_sync_check'));
}

/** Parse and analyse without running: PREPARE, then DEALLOCATE (after a newline: the SQL may end in a `--` comment). */
function prepareAndDrop(sql: string, name: string): string {
  return `PREPARE ${name} AS ${sql}\n;DEALLOCATE ${name}`;
}

/** Refuses a plan that would send native SQL that does not compile (see prepareNativeSqlCheck). */
export async function assertChangedSqlCompiles(project: Project, plan: Plan, started?: NativeSqlCheck): Promise<void> {
  const changed = plan.stages.filter((s) => s.kind === 'card').flatMap((s) => s.actions).filter((a) => a.op === 'create' || a.op === 'update').map((a) => a.key);
  const check = started ?? (await prepareNativeSqlCheck(project));
  try {
    const issues = await check.run(changed);
    if (issues.length > 0) throw new ConfigError(issues);
  } finally {
    // A check given by the caller is closed by the caller.
    if (started === undefined) await check.close();
  }
}
