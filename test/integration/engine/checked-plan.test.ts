import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { makeCheckedPlan } from '../../../src/engine/checked-plan.ts';
import { assertPlanStillValid, checkingInput, readSavedPlan } from '../../../src/engine/saved-plan.ts';
import { setupOf } from '../../../src/engine/early-sql-check.ts';
import { planDigest } from '../../../src/core/fingerprint.ts';
import { sqlLayout } from '../../../src/postgres/sql-files.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { startFakeMetabase } from '../../support/fake-metabase/index.ts';
import { openSession, writeProject } from './harness.ts';
import { catalog, env, files } from './fixture-project.ts';

/** plan and apply's entry (makeCheckedPlan): the plan's reads go out while the SQL check is prepared. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('the checked plan', () => {
  it('refuses a project whose SQL folder has no views before the plan reads anything', async () => {
    const fake = await startFakeMetabase();
    cleanups.push(() => fake.close());
    // A sql/ of its own (not the Phoenix one the harness links), with no analytics/ views in it.
    const project = await writeProject({ ...files, 'sql/README.md': 'views to come\n' });
    cleanups.push(project.cleanup);
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    const planning = makeCheckedPlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false });
    await expect(planning).rejects.toThrow(/no views to apply/);
    await target.server;
    // Only the server's version, asked for by openTarget.
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/session/properties']);
  });

  it('hands the plan over for rendering while its SQL compiles, and returns what was rendered', async () => {
    const fake = await startFakeMetabase();
    cleanups.push(() => fake.close());
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    // Embedded Postgres stood in for by a runner whose every statement waits until the render opens
    // it: were the plan rendered only after its SQL compiled, this would wait for ever.
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const runner = { query: async <T>() => ({ rows: (await opened, []) as T[] }), exec: async () => opened, close: async () => {} };
    const { postgres } = target.project.config;
    const early = { runner, setup: setupOf(sqlLayout(target.project.root, postgres), postgres.timezone) };
    const planning = makeCheckedPlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false }, {
      bootSql: true,
      early,
      render: (plan) => {
        open();
        return `${plan.summary.create} to create`;
      },
    });
    const outcome = await Promise.race([planning, new Promise<string>((resolve) => setTimeout(() => resolve('still compiling'), 10_000))]);
    expect(outcome).toMatchObject({ rendered: expect.stringMatching(/^\d+ to create$/) });
  }, 20_000);

  it('names an old server rather than what else is wrong (no views): exit code 3, not 1', async () => {
    const fake = await startFakeMetabase({ version: 'v0.57.2' });
    cleanups.push(() => fake.close());
    fake.injectFault({ path: '/api/session/properties' }, { delayMs: 200 });
    const project = await writeProject({ ...files, 'sql/README.md': 'views to come\n' });
    cleanups.push(project.cleanup);
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    const planning = makeCheckedPlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false });
    await expect(planning).rejects.toMatchObject({ code: 'METABASE_VERSION', exitCode: 3 });
  });

  it('reports what is wrong in the files even when Metabase cannot be reached', async () => {
    const project = await writeProject({ ...files, 'sql/README.md': 'views to come\n' });
    cleanups.push(project.cleanup);
    // Nothing listens on port 9: the version read fails after its retries.
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: 'http://127.0.0.1:9', MB_API_KEY: 'mb_unused' } });
    const planning = makeCheckedPlan({ project: target.project, api: target.api, server: target.server, target: { environment: target.environment, url: target.url }, handlers, allowArchive: false });
    await expect(planning).rejects.toThrow(/no views to apply/);
    await expect(target.server).rejects.toMatchObject({ code: 'METABASE_UNREACHABLE' });
  }, 20_000);

  it('refuses a saved full plan when anything moved, naming the objects, before its SQL compiles', async () => {
    const fake = await startFakeMetabase({ catalog, syncPolls: 1 });
    cleanups.push(() => fake.close());
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const session = await openSession(fake, project.root, env);
    await session.apply();
    const file = join(project.root, 'p.json');
    await writeFile(file, JSON.stringify((await session.plan()).plan));
    const saved = await readSavedPlan(file);
    // Two changes made by hand, anywhere: a full plan answers for everything.
    const dashboard = [...fake.state.dashboards.values()][0]!;
    dashboard.name = 'Renamed by hand';
    const funnel = [...fake.state.cards.values()].find((c) => c.name === 'Entonnoir pack')!;
    funnel.description = 'Changed by hand';
    const target = await openTarget({ configPath: join(project.root, 'metabase.config.yaml'), processEnv: { ...env, MB_URL: fake.url, MB_API_KEY: fake.apiKey } });
    let rendered = false;
    const planning = makeCheckedPlan({ project: target.project, api: target.api, server: target.server, target: { environment: 'test', url: fake.url }, handlers, ...checkingInput(saved) }, {
      verify: (fresh) => assertPlanStillValid(saved, fresh, 'p.json', target.project.configFile),
      render: () => (rendered = true),
    });
    const refused = await planning.catch((e: unknown) => e as Error);
    expect(refused).toMatchObject({ code: 'PLAN_STALE' });
    expect((refused as Error).message).toBe(`Metabase changed since p.json was made: card.funnel (changed in Metabase, id ${funnel.id}), dashboard.energie (changed in Metabase, id ${dashboard.id})`);
    expect(rendered).toBe(false);
  });

  it('refuses a plan file of an older format, saying so', async () => {
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const file = join(project.root, 'old.json');
    await writeFile(file, JSON.stringify({ formatVersion: 1, liveFingerprint: 'x', desiredFingerprint: 'y', digest: 'z', stages: [] }));
    await expect(readSavedPlan(file)).rejects.toMatchObject({ code: 'PLAN_STALE', message: `${file} is a plan of format 1, made by an older mb-sync: this one applies plans of format 2`, hint: 'make a new one with `mb-sync plan --out FILE`' });
  });

  it.each([
    ['stages: null', (p: Record<string, unknown>) => ({ ...p, stages: null }), 'stages'],
    ['a target of null', (p: Record<string, unknown>) => ({ ...p, target: null }), 'target'],
    ['a selector that is a number', (p: Record<string, unknown>) => ({ ...p, selection: { selectors: [7], objects: 1, of: 2 } }), 'selection.selectors.0'],
  ])('refuses a plan edited by hand with its digest made again (%s), naming the part, not with a TypeError', async (_what, edit, path) => {
    const project = await writeProject(files);
    cleanups.push(project.cleanup);
    const file = join(project.root, 'edited.json');
    const plan = edit({ formatVersion: 2, project: 'phoenix', target: { environment: 'test' }, allowArchive: false, stages: [], orphans: [], fingerprints: { live: {}, files: {}, completed: {} } });
    await writeFile(file, JSON.stringify({ ...plan, digest: planDigest(plan) }));
    await expect(readSavedPlan(file)).rejects.toMatchObject({ code: 'PLAN_STALE', message: expect.stringContaining(`${file} is not a plan as mb-sync writes it: ${path}:`) });
  });
});
