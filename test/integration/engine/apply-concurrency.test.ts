import { describe, expect, it } from 'vitest';
import { files } from './fixture-project.ts';
import { useFakeMetabase } from './harness.ts';

describe('writes of a first apply', () => {
  // Three polls of the sync, 30 ms each way: time enough to see what goes out while it runs.
  const t = useFakeMetabase({ files, syncPolls: 3 });

  it('creates groups, collections and their permissions while the database syncs, but never a group alongside the database', async () => {
    t.fake.setLatency(30);
    const { result } = await t.apply(t.root);
    expect(result.failed).toEqual([]);
    const requests = t.fake.requests;
    const one = (method: string, path: RegExp) => requests.filter((r) => r.method === method && path.test(r.path));
    const [database] = one('POST', /^\/api\/database$/);
    const groups = one('POST', /^\/api\/permissions\/group$/);
    expect(database).toBeDefined();
    expect(groups.length).toBeGreaterThan(0);
    // Each makes the data permissions of the other's kind (src/resources/types.ts, DATA_PERMISSION_ROWS).
    for (const group of groups) expect(group.received! >= database!.answered! || group.answered! <= database!.received!).toBe(true);
    // The sync is polled until it is over: the collection and its permissions went out before its last poll.
    const polls = one('GET', new RegExp(`^/api/database/${[...t.fake.state.databases.keys()].at(-1)}$`));
    const lastPoll = polls.at(-1)!;
    expect(polls.length).toBeGreaterThan(1);
    expect(one('POST', /^\/api\/collection$/)[0]!.received!).toBeLessThan(lastPoll.received!);
    expect(one('PUT', /^\/api\/collection\/graph$/)[0]!.received!).toBeLessThan(lastPoll.received!);
    // Cards wait for the sync (they name its tables and fields).
    expect(one('POST', /^\/api\/card$/)[0]!.received!).toBeGreaterThan(lastPoll.answered!);
  });

  it('creates the cards once the columns are described, without waiting for the rescan of filter values', async () => {
    t.fake.setLatency(30);
    // The rescan is answered a second late: the cards go out in the meantime.
    t.fake.injectFault({ method: 'POST', path: /^\/api\/database\/\d+\/rescan_values$/ }, { afterWrite: true, delayMs: 1_000 });
    const { result } = await t.apply(t.root);
    expect(result.failed).toEqual([]);
    const requests = t.fake.requests;
    const fieldWrites = requests.filter((r) => r.method === 'PUT' && /^\/api\/(field|table)\/\d+$/.test(r.path));
    const [rescan] = requests.filter((r) => r.method === 'POST' && /^\/api\/database\/\d+\/rescan_values$/.test(r.path));
    const [firstCard] = requests.filter((r) => r.method === 'POST' && r.path === '/api/card');
    expect(fieldWrites.length).toBeGreaterThan(0);
    expect(rescan).toBeDefined();
    // A card's result metadata is taken from its columns' when it is saved: after every column write.
    expect(firstCard!.received!).toBeGreaterThanOrEqual(Math.max(...fieldWrites.map((w) => w.answered!)));
    expect(firstCard!.received!).toBeLessThan(rescan!.answered!);
  });
});
