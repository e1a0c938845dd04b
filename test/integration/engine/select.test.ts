import { describe, expect, it } from 'vitest';
import { MbSyncError } from '../../../src/core/errors.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

const t = useFakeMetabase({ files });

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
});
