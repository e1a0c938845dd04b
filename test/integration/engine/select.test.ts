import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MbSyncError } from '../../../src/core/errors.ts';
import type { Plan } from '../../../src/core/plan.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { assertPlanStillValid, checkingInput, readSavedPlan } from '../../../src/engine/saved-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { openSession, useFakeMetabase, type Session } from './harness.ts';
import { env, files } from './fixture-project.ts';

const t = useFakeMetabase({ files });

/** A second dashboard file, with a card the selections below leave out. */
const packs = `
key: packs
name: Packs
collection: phoenix
cards:
  - key: pack-views
    name: Vues des packs
    display: table
    query:
      source: analytics.vw_pack_funnel
      aggregate: [sum(views)]
      breakout: [pack_id]
    layout: { row: 0, col: 0, width: 12, height: 6 }
`;

/** The plan written as `plan --out` writes it, read back as `apply FILE` reads it. */
async function save(plan: Plan, root: string): Promise<Plan> {
  await writeFile(join(root, 'p.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return readSavedPlan(join(root, 'p.json'));
}

/** What `apply p.json` does before its first write: plans again as the file says, and compares. */
async function check(saved: Plan, session: Session) {
  const fresh = await makePlan({ project: session.project, api: session.api, server: session.server, target: { environment: 'test', url: t.fake.url }, handlers, ...checkingInput(saved) });
  assertPlanStillValid(saved, fresh, 'p.json', session.project.configFile);
  return fresh;
}

const refusal = (work: Promise<unknown>) => work.then(() => 'applied', (e: unknown) => (e instanceof MbSyncError ? `${e.code}: ${e.message}` : String(e)));

/** Everything applied, then a card of the selection renamed in its file: `plan --select card:spend-*` has one update. */
async function planSpendCards(): Promise<{ root: string; saved: Plan }> {
  const root = await t.project({ ...files, 'dashboards/packs.yaml': packs });
  await t.apply(root);
  const energie = join(root, 'dashboards/energie.yaml');
  await writeFile(energie, (await readFile(energie, 'utf8')).replace('name: Dépenses par module', 'name: Dépenses par module (v2)'));
  const { plan } = await (await t.session(root)).plan({ select: ['card:spend-*'] });
  expect(plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`)).toEqual(['update card.spend-by-module']);
  return { root, saved: await save(plan, root) };
}

const liveCard = (name: string) => [...t.fake.state.cards.values()].find((c) => c.name === name)!;

const planned = (state: Awaited<ReturnType<Awaited<ReturnType<typeof openSession>>['plan']>>) =>
  state.plan.stages.flatMap((s) => s.actions).map((a) => `${a.op} ${a.address}`).sort();

describe('--select', () => {
  it('keeps a card and what it needs (database, collection and the permissions guarding it), never what depends on it', async () => {
    const session = await openSession(t.fake, t.root, env);
    const state = await session.plan({ select: ['card:spend-by-module'] });
    expect(planned(state)).toEqual(['create card.spend-by-module', 'create collection-permissions.product/phoenix', 'create collection.phoenix', 'create database.phoenix', 'create group.product']);
    expect(state.plan.selection).toMatchObject({ selectors: ['card:spend-by-module'], objects: 5 });
    expect(renderPlanText(state.plan)).toContain('Partial plan (--select card:spend-by-module): 5 of');
  });

  it('a dashboard brings its cards; an alert glob brings the alerted card and its collection', async () => {
    const session = await openSession(t.fake, t.root, env);
    const dashboard = planned(await session.plan({ select: ['dashboard:energie'] }));
    expect(dashboard).toEqual(expect.arrayContaining(['create dashboard.energie', 'create card.spend-by-module', 'create card.funnel']));
    expect(dashboard.some((a) => a.includes('alert.') || a.includes('subscription.'))).toBe(false);
    const alerts = planned(await session.plan({ select: ['alert:*'] }));
    expect(alerts).toEqual(expect.arrayContaining(['create alert.zero-surge', 'create card.zero-surge', 'create collection.alerting', 'create collection.phoenix']));
    expect(alerts.some((a) => a.includes('dashboard.'))).toBe(false);
  });

  it('apply --select changes only the selection; the next full plan shows the rest', async () => {
    const session = await openSession(t.fake, t.root, env);
    const { result } = await session.apply({ select: ['card:funnel'] });
    expect(result.failed).toEqual([]);
    expect([...t.fake.state.cards.values()].map((c) => c.name)).toEqual(['Entonnoir pack']);
    expect(t.fake.state.dashboards.size).toBe(0);
    const rest = planned(await (await openSession(t.fake, t.root, env)).plan());
    expect(rest).toContain('create dashboard.energie');
    expect(rest).toContain('noop card.funnel');
  });

  it('a selector that matches nothing, or names no kind, is an error naming it', async () => {
    const session = await openSession(t.fake, t.root, env);
    const missing = await session.plan({ select: ['card:spend-by-modul'] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MbSyncError);
    expect((missing as Error).message).toBe('--select card:spend-by-modul matches nothing — did you mean card:spend-by-module?');
    const kind = await session.plan({ select: ['cards:x'] }).catch((e: unknown) => e);
    expect((kind as Error).message).toMatch(/^--select cards:x: no kind "cards" — did you mean card\?/);
  });

  it('a saved partial plan still applies after changes outside it, in Metabase or in another file', async () => {
    const { root, saved } = await planSpendCards();
    // In the UI: another card's description, and a card renamed in the collection the selection needs.
    liveCard('Entonnoir pack').description = 'Changed by hand';
    liveCard('Vues des packs').name = 'Renamed by hand';
    // In the files: a card of another dashboard file renamed.
    await writeFile(join(root, 'dashboards/packs.yaml'), packs.replace('name: Vues des packs', 'name: Vues'));
    const session = await t.session(root);
    const fresh = await check(saved, session);
    const result = await applyPlan({ state: fresh, handlers, context: { api: session.api, project: session.project, server: session.server, progress: () => {}, pollIntervalMs: 5 }, emit: () => {} });
    expect(result.applied).toEqual(['card.spend-by-module']);
    expect(liveCard('Dépenses par module (v2)')).toBeDefined();
    // What was outside the plan is as it was.
    expect(liveCard('Entonnoir pack').description).toBe('Changed by hand');
    expect(liveCard('Renamed by hand')).toBeDefined();
  });

  it('a saved partial plan is refused when what it covers moved, naming it: a selected object, a dependency, a file, a new match', async () => {
    const { root, saved } = await planSpendCards();
    const covers = 'in what it covers (--select card:spend-*)';
    const spend = liveCard('Dépenses par module');
    spend.description = 'Changed by hand';
    expect(await refusal(check(saved, await t.session(root)))).toBe(`PLAN_STALE: Metabase changed since p.json was made, ${covers}: card.spend-by-module (changed in Metabase, id ${spend.id})`);
    spend.description = null;
    // A dependency: the collection the card goes to.
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    phoenix.name = 'Phoenix (old)';
    expect(await refusal(check(saved, await t.session(root)))).toBe(`PLAN_STALE: Metabase changed since p.json was made, ${covers}: collection.phoenix (changed in Metabase, id ${phoenix.id})`);
    phoenix.name = 'Phoenix';
    await check(saved, await t.session(root));
    // The files: the selected card changed again, and a new card its selector matches.
    const energie = join(root, 'dashboards/energie.yaml');
    await writeFile(energie, (await readFile(energie, 'utf8')).replace('display: bar', 'display: line'));
    await writeFile(join(root, 'dashboards/packs.yaml'), packs.replace('  - key: pack-views', `  - key: spend-total
    name: Dépenses
    display: scalar
    query: { source: analytics.vw_daily_energy_ledger, aggregate: [sum(total_spent)] }
    layout: { row: 0, col: 12, width: 6, height: 4 }
  - key: pack-views`));
    const refused = await refusal(check(saved, await t.session(root)));
    expect(refused).toMatch(new RegExp(`^PLAN_STALE: the project files changed since p\\.json was made, ${covers.replace(/[()*]/g, '\\$&')}: card\\.spend-by-module \\(changed in \\S*dashboards/energie\\.yaml\\), card\\.spend-total \\(not in the plan, now in its selection: \\S*dashboards/packs\\.yaml\\)$`));
  });

  it('a saved partial plan is refused when a new live object collides with one it creates', async () => {
    const session = await t.session(t.root);
    await session.apply({ select: ['collection:phoenix'] });
    const saved = await save((await session.plan({ select: ['dashboard:energie'] })).plan, t.root);
    expect(saved.summary.create).toBeGreaterThan(0);
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    // Another dashboard made by hand in the same collection is none of the plan's business.
    await session.api.post('/api/dashboard', { name: 'Something else', collection_id: phoenix.id });
    await check(saved, await t.session(t.root));
    // One of the same name is: the plan would now adopt it instead of creating one.
    const { id } = await session.api.post<{ id: number }>('/api/dashboard', { name: 'Phoenix – Energie Live', collection_id: phoenix.id });
    expect(await refusal(check(saved, await t.session(t.root)))).toBe(`PLAN_STALE: Metabase changed since p.json was made, in what it covers (--select dashboard:energie): dashboard.energie (new in Metabase, id ${id})`);
  });
});
