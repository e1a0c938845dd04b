import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase, writeProject } from './harness.ts';
import { DB_PASSWORD, env, files } from './fixture-project.ts';

const t = useFakeMetabase({ files, syncPolls: 2 });

describe('plan → apply → plan against the fake Metabase', () => {
  it('creates everything on a fresh instance, then the next plan has no changes and the next apply writes nothing', async () => {
    const session = await openSession(t.fake, t.root, env);
    const first = await session.apply();
    expect(first.result.failed).toEqual([]);
    expect(first.state.plan.summary.create).toBeGreaterThan(8);

    const db = [...t.fake.state.databases.values()][0]!;
    expect((db.details as Record<string, unknown>).password).toBe(DB_PASSWORD);
    expect(db.details).toMatchObject({ 'schema-filters-type': 'inclusion', 'schema-filters-patterns': 'analytics' });
    const dashboard = [...t.fake.state.dashboards.values()][0]!;
    const dashcards = [...t.fake.state.dashcards.values()].filter((d) => d.dashboard_id === dashboard.id);
    expect(dashcards).toHaveLength(3);
    expect([...t.fake.state.pulses.values()]).toHaveLength(1);
    expect([...t.fake.state.notifications.values()]).toHaveLength(1);
    const product = t.fake.state.groups.find((g) => g.name === 'Product')!;
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    expect(t.fake.state.graph.groups[String(product.id)]?.[String(phoenix.id)]).toBe('read');

    const again = await openSession(t.fake, t.root, env);
    const second = await again.plan();
    const changed = second.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => ({ address: a.address, changes: a.changes }))).toEqual([]);
    t.fake.resetLog();
    const noop = await again.apply();
    expect(noop.result.applied).toEqual([]);
    expect(t.fake.writes()).toBe(0);
  });

  it('matches the dashboards only once the cards are read, however late the card list comes', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    // The card lists answer after every dashboard: the dashcards must still read as the same cards.
    t.fake.injectFault({ method: 'GET', path: '/api/card' }, { delayMs: 300, times: 2 });
    const again = await (await openSession(t.fake, t.root, env)).plan();
    const changed = again.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => a.address)).toEqual([]);
  });

  it('asks for the subscriptions without waiting for the dashboards, so a plan ends with its last dashboard', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    t.fake.setLatency(40);
    t.fake.resetLog();
    await (await openSession(t.fake, t.root, env)).plan();
    t.fake.setLatency(0);
    const pulses = t.fake.requests.find((r) => r.method === 'GET' && r.path === '/api/pulse')!;
    const dashboards = t.fake.requests.filter((r) => r.method === 'GET' && /^\/api\/dashboard\/\d+$/.test(r.path));
    expect(dashboards.length).toBeGreaterThan(0);
    expect(pulses.received).toBeLessThan(Math.min(...dashboards.map((r) => r.answered ?? Infinity)));
  });
});

describe('faults, unmanaged objects and archiving', () => {
  it('does not duplicate a card whose create succeeded but whose response was lost', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/card' }, { afterWrite: true, dropConnection: true });
    const session = await openSession(t.fake, t.root, env);
    const first = await session.apply();
    expect(first.result.failed).toEqual([]);
    const again = await openSession(t.fake, t.root, env);
    expect((await again.apply()).result.applied).toEqual([]);
    const names = [...t.fake.state.cards.values()].map((c) => c.name);
    expect(names.filter((n) => n === names[0])).toHaveLength(1);
    expect(t.fake.state.cards.size).toBe(3);
  });

  it('converges after a server error in the middle of an apply', async () => {
    t.fake.injectFault({ method: 'PUT', path: /^\/api\/dashboard\/\d+$/ }, { status: 500, body: { message: 'boom' }, times: 5 });
    const broken = await (await openSession(t.fake, t.root, env)).apply();
    expect(broken.result.failed.map((f) => f.address)).toEqual(['dashboard.energie']);
    expect(broken.result.failed[0]!.error).toContain('HTTP 500: boom');
    expect(broken.result.notRun).toEqual(expect.arrayContaining(['subscription.energie/weekly']));
    const fixed = await (await openSession(t.fake, t.root, env)).apply();
    expect(fixed.result.failed).toEqual([]);
    expect(t.fake.state.dashboards.size).toBe(1);
    const third = await (await openSession(t.fake, t.root, env)).plan();
    expect(third.plan.summary.create + third.plan.summary.update).toBe(0);
  });

  it('never touches objects it did not create, and archives removed ones only when allowed', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const phoenix = [...t.fake.state.collections.values()].find((c) => c.name === 'Phoenix')!;
    const database = [...t.fake.state.databases.values()][0]!;
    // Made by hand in the UI, inside the managed collection.
    const handMade = { id: 99_001, entity_id: 'handmadehandmadehand1', name: 'Hand made', type: 'question', display: 'table', collection_id: phoenix.id, archived: false, dataset_query: { 'lib/type': 'mbql/query', database: database.id, stages: [{ 'lib/type': 'mbql.stage/native', native: 'SELECT 1' }] }, visualization_settings: {} };
    t.fake.state.cards.set(handMade.id, handMade);
    const withoutFunnel = files['dashboards/energie.yaml']!.replace(/ {2}- key: funnel[\s\S]*?layout: \{ row: 1, col: 12, width: 12, height: 6 \}\n/, '');
    const trimmed = await writeProject({ ...files, 'dashboards/energie.yaml': withoutFunnel });
    try {
      const session = await openSession(t.fake, trimmed.root, env);
      const plan = await session.plan();
      expect(plan.plan.orphans.map((o) => o.address)).toEqual(['card.funnel']);
      t.fake.resetLog();
      await session.apply();
      const funnel = [...t.fake.state.cards.values()].find((c) => c.name === 'Entonnoir pack')!;
      expect(funnel.archived).toBe(false);
      await session.apply({ allowArchive: true });
      expect(funnel.archived).toBe(true);
      expect(handMade.archived).toBe(false);
      expect(t.fake.requests.some((r) => r.path === `/api/card/${handMade.id}`)).toBe(false);
    } finally {
      await trimmed.cleanup();
    }
  });

  it('applies a changed database password, and a redacted one reads as no change', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const db = [...t.fake.state.databases.values()][0]!;
    expect((await (await openSession(t.fake, t.root, env)).plan()).plan.summary.update).toBe(0);
    const rotated = { PHOENIX_RO_PASSWORD: 'the-new-password' };
    // The fake's server still has the old password: the new one must reach Metabase's connection test.
    const session = await openSession(t.fake, t.root, rotated);
    const plan = await session.plan();
    const change = plan.plan.stages.find((s) => s.kind === 'database')!.actions[0]!;
    expect(change.op).toBe('update');
    expect(JSON.stringify(plan.plan)).not.toContain('the-new-password');
    const result = await session.apply();
    expect(result.result.failed[0]?.error).toContain('password authentication failed');
    expect((db.details as Record<string, unknown>).password).toBe(DB_PASSWORD);
  });
});

describe('names checked against the live Metabase, and e-mail', () => {
  it('refuses a column the synced table does not have, with the nearest names, before writing', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const typo = await writeProject({ ...files, 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('aggregate: [sum(total_spent)]', 'aggregate: [sum(total_spend)]').replace('order_by: [-sum(total_spent)]', 'order_by: [-sum(total_spend)]') });
    try {
      t.fake.resetLog();
      const error = await (await openSession(t.fake, typo.root, env)).plan().catch((e: unknown) => e as Error);
      expect(String((error as Error).message)).toMatch(/dashboards\/energie\.yaml:\d+: cards\[1\]: card\.spend-by-module: Metabase has no column analytics\.vw_daily_energy_ledger\.total_spend — did you mean analytics\.vw_daily_energy_ledger\.total_spent/);
      expect(t.fake.writes()).toBe(0);
    } finally {
      await typo.cleanup();
    }
  });

  it('a filter mapped to a column Metabase does not have is named at that mapping\'s line, as validate names it', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const text = files['dashboards/energie.yaml']!.replace('filters: { period: event_date, module: module }', 'filters: { period: event_date, module: modul }');
    const line = text.split('\n').findIndex((l) => l.includes('module: modul }')) + 1;
    const typo = await writeProject({ ...files, 'dashboards/energie.yaml': text });
    try {
      const error = await (await openSession(t.fake, typo.root, env)).plan().catch((e: unknown) => e as Error);
      expect(String((error as Error).message)).toContain(`dashboards/energie.yaml:${line}: cards[1].filters.module: dashboard.energie: Metabase has no column analytics.vw_daily_energy_ledger.modul`);
    } finally {
      await typo.cleanup();
    }
  });

  it('names every card that uses a missing column, not only the first', async () => {
    await (await openSession(t.fake, t.root, env)).apply();
    const copy = `  - key: spend-copy
    name: Dépenses (copie)
    display: bar
    query: { source: analytics.vw_daily_energy_ledger, aggregate: [sum(total_spend)] }
    layout: { row: 7, col: 0, width: 12, height: 6 }
subscriptions:`;
    const typo = await writeProject({ ...files, 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('aggregate: [sum(total_spent)]', 'aggregate: [sum(total_spend)]').replace('order_by: [-sum(total_spent)]', 'order_by: [-sum(total_spend)]').replace('subscriptions:', copy) });
    try {
      const error = await (await openSession(t.fake, typo.root, env)).plan().catch((e: unknown) => e as Error);
      const message = String((error as Error).message);
      expect(message).toMatch(/card\.spend-by-module: Metabase has no column analytics\.vw_daily_energy_ledger\.total_spend/);
      expect(message).toMatch(/card\.spend-copy: Metabase has no column analytics\.vw_daily_energy_ledger\.total_spend/);
    } finally {
      await typo.cleanup();
    }
  });

  it('one failed object stops only what depends on it', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/permissions/group' }, { status: 500, body: { message: 'group store down' }, times: 3 });
    const { result, events } = await (await openSession(t.fake, t.root, env)).apply();
    expect(result.failed.map((f) => f.address)).toEqual(['group.product']);
    expect(result.failed[0]!.error).toContain('group store down');
    // The permission and the alert e-mailing the group wait for it; cards, dashboards and the subscription do not.
    expect(result.notRun.sort()).toEqual(['alert.zero-surge', 'collection-permissions.product/phoenix']);
    expect(events.find((e) => e.type === 'skipped' && e.address === 'alert.zero-surge')).toMatchObject({ reason: 'depends on group.product, which failed' });
    expect(result.applied).toEqual(expect.arrayContaining(['database.phoenix', 'card.spend-by-module', 'dashboard.energie', 'subscription.energie/weekly']));
    const next = await (await openSession(t.fake, t.root, env)).apply();
    expect(next.result.failed).toEqual([]);
    expect(next.result.applied.sort()).toEqual(['alert.zero-surge', 'collection-permissions.product/phoenix', 'group.product']);
  });

  it('refuses alerts and subscriptions when Metabase has no e-mail, unless require_email is false', async () => {
    t.fake.state.settings['email-configured?'] = false;
    // Refused at plan time, before the first write: nothing at all is created.
    const refused = (await openSession(t.fake, t.root, env)).apply();
    await expect(refused).rejects.toThrow(/Metabase has no e-mail \(SMTP\) configured, so alert\.zero-surge, subscription\.energie\/weekly would never be sent; nothing was changed/);
    expect(t.fake.writes()).toBe(0);
    expect(t.fake.state.pulses.size).toBe(0);
    const relaxed = await writeProject({ ...files, 'metabase.config.yaml': files['metabase.config.yaml']!.replace('project: phoenix', 'project: phoenix\nrequire_email: false') });
    try {
      const applied = await (await openSession(t.fake, relaxed.root, env)).apply();
      expect(applied.result.failed).toEqual([]);
      expect(applied.events.some((e) => e.type === 'info' && e.message.includes('no e-mail configured'))).toBe(true);
      expect(t.fake.state.notifications.size).toBe(1);
    } finally {
      await relaxed.cleanup();
    }
  });
});
