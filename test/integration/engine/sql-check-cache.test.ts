import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import type { Project } from '../../../src/core/project.ts';
import { prepareNativeSqlCheck } from '../../../src/engine/validate-offline.ts';
import { bootSqlCheckEarly } from '../../../src/engine/early-sql-check.ts';
import { ConfigError, MbSyncError } from '../../../src/core/errors.ts';
import { files, env } from './fixture-project.ts';
import { writeProject } from './harness.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';
import type * as SandboxThread from '../../../src/postgres/sandbox-thread.ts';

// Counts the embedded Postgres instances the check opens (each costs seconds, in its own thread).
const opened = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/postgres/sandbox-thread.ts', async (importOriginal) => {
  const original = await importOriginal<typeof SandboxThread>();
  return { ...original, openSandboxThread: (...args: Parameters<typeof original.openSandboxThread>) => ((opened.count += 1), original.openSandboxThread(...args)) };
});

/** The check as plan uses it: prepared (no boot), run for the changed cards, closed. */
async function checkNativeSql(loaded: Project, keys: string[]) {
  const check = await prepareNativeSqlCheck(loaded);
  try {
    return await check.run(keys);
  } finally {
    await check.close();
  }
}

let project: { root: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  project = await writeProject(files);
  // A project as a user has it: with node_modules/ (the cache's home) and its own sql/.
  await mkdir(join(project.root, 'node_modules'));
  await rm(join(project.root, 'sql'));
  await cp(PHOENIX_SQL.dir, join(project.root, 'sql'), { recursive: true });
  opened.count = 0;
});
afterEach(async () => project.cleanup());

describe('the native SQL check before plan and apply', () => {
  it('compiles each card once for given views: the apply after its plan opens no embedded Postgres', async () => {
    const loaded = await loadProject({ configPath: join(project.root, 'metabase.config.yaml'), env });
    expect(await checkNativeSql(loaded, ['funnel', 'zero-surge'])).toEqual([]);
    expect(opened.count).toBe(1);
    expect(await checkNativeSql(loaded, ['funnel', 'zero-surge'])).toEqual([]);
    expect(opened.count).toBe(1);
    // Known to compile under the embedded Postgres that compiled it: another PGlite compiles again.
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../../node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    const cache = JSON.parse(await readFile(join(project.root, 'node_modules/.cache/mb-sync/sql.json'), 'utf8')) as { version: string };
    expect(cache.version).toContain(`pglite@${version}`);
  });

  it('a plan that changes no native card boots no embedded Postgres, even with nothing cached (plan boots lazily)', async () => {
    const loaded = await loadProject({ configPath: join(project.root, 'metabase.config.yaml'), env });
    const check = await prepareNativeSqlCheck(loaded);
    expect(await check.run([])).toEqual([]);
    await check.close();
    expect(opened.count).toBe(0);
    // apply boots it at once when some SQL is not known to compile, to overlap the plan's reads.
    const eager = await prepareNativeSqlCheck(loaded, { boot: true });
    await eager.close();
    expect(opened.count).toBe(1);
  });

  it('apply boots embedded Postgres before reading the files only in a checkout that never compiled against these views', async () => {
    const configPath = join(project.root, 'metabase.config.yaml');
    const early = await bootSqlCheckEarly(configPath, env);
    expect(early).toBeDefined();
    expect(opened.count).toBe(1);
    const loaded = await loadProject({ configPath, env });
    const check = await prepareNativeSqlCheck(loaded, { boot: true, early });
    expect(await check.run(['funnel', 'zero-surge'])).toEqual([]);
    await check.close();
    // The early one did the work; the next apply of this checkout starts nothing ahead.
    expect(opened.count).toBe(1);
    expect(await bootSqlCheckEarly(configPath, env)).toBeUndefined();
    // A bad SQL is refused through the early sandbox like through any other.
    await writeFile(join(project.root, 'sql/analytics/dashboard_views.sql'), (await readFile(join(project.root, 'sql/analytics/dashboard_views.sql'), 'utf8')).replace(/\bpurchases\b/g, 'buys'));
    const again = await bootSqlCheckEarly(configPath, env);
    expect(again).toBeDefined();
    const refusing = await prepareNativeSqlCheck(loaded, { boot: true, early: again });
    expect((await refusing.run(['funnel'])).map((i) => i.message)).toEqual([expect.stringContaining('column "purchases" does not exist')]);
    await refusing.close();
  });

  it('drops an early sandbox set up otherwise than the project says, and marks a checkout with nothing to compile', async () => {
    const configPath = join(project.root, 'metabase.config.yaml');
    await writeFile(configPath, `${await readFile(configPath, 'utf8')}postgres:\n  timezone: \${ANALYTICS_TZ:-UTC}\n`);
    // The early boot saw one timezone (say, from the shell); the project, loaded with .env.local, another.
    const early = await bootSqlCheckEarly(configPath, { ...env, ANALYTICS_TZ: 'Europe/Paris' });
    const loaded = await loadProject({ configPath, env });
    const check = await prepareNativeSqlCheck(loaded, { boot: true, early });
    expect(await check.run(['funnel'])).toEqual([]);
    await check.close();
    expect(opened.count).toBe(2);
    // Every native card compiled now: nothing is pending, and the next apply starts nothing ahead.
    const again = await prepareNativeSqlCheck(loaded, { boot: true });
    await again.close();
    expect(await bootSqlCheckEarly(configPath, env)).toBeUndefined();
  });

  it('reports a view file that does not run once, as that file\'s error, not as every card\'s', async () => {
    const views = join(project.root, 'sql/analytics/dashboard_views.sql');
    await writeFile(views, `${await readFile(views, 'utf8')}\nSELEC broken;\n`);
    const loaded = await loadProject({ configPath: join(project.root, 'metabase.config.yaml'), env });
    const check = await prepareNativeSqlCheck(loaded, { boot: true });
    const error = await check.run(['funnel', 'zero-surge']).then(() => undefined, (e: unknown) => e);
    await check.close();
    expect(error).toBeInstanceOf(MbSyncError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/dashboard_views\.sql:\d+/);
  });

  it('compiled ahead in batches (apply), a failing card is named alone and the others are known to compile', async () => {
    const views = join(project.root, 'sql/analytics/dashboard_views.sql');
    await writeFile(views, (await readFile(views, 'utf8')).replace(/\bpurchases\b/g, 'buys'));
    const loaded = await loadProject({ configPath: join(project.root, 'metabase.config.yaml'), env });
    const eager = await prepareNativeSqlCheck(loaded, { boot: true });
    const issues = await eager.run(['funnel', 'zero-surge']);
    await eager.close();
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/^card\.funnel: the SQL does not compile against the analytics views: column "purchases" does not exist/)]);
    // zero-surge compiled in that batch: remembered, nothing to boot for it.
    expect(await checkNativeSql(loaded, ['zero-surge'])).toEqual([]);
    expect(opened.count).toBe(1);
  });

  it('compiles again when the views change, and never caches a failure', async () => {
    const loaded = await loadProject({ configPath: join(project.root, 'metabase.config.yaml'), env });
    expect(await checkNativeSql(loaded, ['funnel'])).toEqual([]);
    // The view the card reads loses the column it uses: the cached success must not hide it.
    const views = join(project.root, 'sql/analytics/dashboard_views.sql');
    const text = await readFile(views, 'utf8');
    await writeFile(views, text.replace(/\bpurchases\b/g, 'buys'));
    for (let run = 0; run < 2; run++) {
      const issues = await checkNativeSql(loaded, ['funnel']);
      expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/card\.funnel: the SQL does not compile against the analytics views: column "purchases" does not exist/)]);
    }
    expect(opened.count).toBe(3);
  });
});

