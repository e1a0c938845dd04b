import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// Alerts and subscriptions are identified by their own key, whatever card or dashboard they are on.
const t = useFakeMetabase();

async function project(edit: (f: Record<string, string>) => Record<string, string>): Promise<string> {
  return t.project(edit({ ...files }));
}
const config = (f: Record<string, string>, text: string) => ({ ...f, 'metabase.config.yaml': text });
const WEEKLY_COPY = `  - key: zero-surge-weekly
    card: zero-surge
    schedule: { every: week, day: mon, hour: 9 }
    to: [list:team]
`;
const active = () => [...t.fake.state.notifications.values()].filter((n) => n.active !== false);
async function pending(root: string, allowArchive = false): Promise<string[]> {
  const state = await (await openSession(t.fake, root, env)).plan({ allowArchive });
  return [...state.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`), ...state.plan.orphans.map((o) => `orphan ${o.address}`)];
}

describe('alerts', () => {
  it('two alerts on one card are two alerts, and both settle', async () => {
    const root = await project((f) => config(f, `${f['metabase.config.yaml']!}${WEEKLY_COPY}`));
    const first = await (await openSession(t.fake, root, env)).apply();
    expect(first.result.failed).toEqual([]);
    expect(active()).toHaveLength(2);
    expect(await pending(root)).toEqual([]);
    await (await openSession(t.fake, root, env)).apply();
    expect(active()).toHaveLength(2);
  });

  it('a removed alert is listed, kept without --allow-archive and deactivated with it; a person\'s own alert on the card is left alone', async () => {
    const both = await project((f) => config(f, `${f['metabase.config.yaml']!}${WEEKLY_COPY}`));
    await (await openSession(t.fake, both, env)).apply();
    const card = [...t.fake.state.cards.values()].find((c) => c.name === 'Surge at zero')!;
    const own = { ...structuredClone(active()[0]!), id: 55_001, active: true };
    t.fake.state.notifications.set(own.id, own);
    const one = await project((f) => f);
    expect(await pending(one)).toEqual(['orphan alert.zero-surge-weekly']);
    await (await openSession(t.fake, one, env)).apply();
    expect(active()).toHaveLength(3);
    expect(await pending(one, true)).toEqual(['archive alert.zero-surge-weekly']);
    await (await openSession(t.fake, one, env)).apply({ allowArchive: true });
    expect(active().map((n) => n.id).sort()).toEqual([expect.any(Number), own.id].sort());
    expect((active().find((n) => n.id !== own.id)!.payload as { card_id: number }).card_id).toBe(card.id);
    expect(await pending(one, true)).toEqual([]);
  });

  it('an alert made before it was recorded (or whose create answer was lost) is adopted, not duplicated', async () => {
    t.fake.injectFault({ method: 'POST', path: '/api/notification' }, { afterWrite: true, dropConnection: true });
    const root = await project((f) => f);
    const first = await (await openSession(t.fake, root, env)).apply();
    expect(first.result.failed).toEqual([]);
    expect(active()).toHaveLength(1);
    expect(await pending(root)).toEqual([]);
  });
});

describe('subscriptions', () => {
  it('a removed subscription is listed, kept without --allow-archive and archived with it', async () => {
    const root = await project((f) => f);
    await (await openSession(t.fake, root, env)).apply();
    const without = await project((f) => ({ ...f, 'dashboards/energie.yaml': f['dashboards/energie.yaml']!.replace(/subscriptions:[\s\S]*$/, '') }));
    expect(await pending(without)).toEqual(['orphan subscription.energie/weekly']);
    await (await openSession(t.fake, without, env)).apply({ allowArchive: true });
    expect([...t.fake.state.pulses.values()].map((p) => p.archived)).toEqual([true]);
    expect(await pending(without, true)).toEqual([]);
  });
});
