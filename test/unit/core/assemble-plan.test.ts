import { describe, expect, it } from 'vitest';
import { assemblePlan, type KindState } from '../../../src/core/assemble-plan.ts';
import { hasChanges, hasWork, summarize } from '../../../src/core/plan.ts';
import { ref, RefIndex } from '../../../src/core/refs.ts';

const refs = new RefIndex();
refs.set('collection', 'phoenix', 7);

const cards: KindState = {
  kind: 'card',
  desired: [
    { key: 'same', body: { name: 'Same', collection: ref('collection', 'phoenix') } },
    { key: 'renamed', body: { name: 'New name', collection: ref('collection', 'phoenix') } },
    { key: 'fresh', body: { name: 'Fresh', source: ref('card', 'same') } },
    { key: 'restored', body: { name: 'Restored' } },
  ],
  live: [
    { key: 'same', id: 1, managed: true, body: { name: 'Same', collection: ref('collection', 'phoenix') } },
    { key: 'renamed', id: 2, managed: true, body: { name: 'Old name', collection: ref('collection', 'phoenix') } },
    { key: 'restored', id: 3, managed: true, archived: true, body: { name: 'Restored' } },
    { key: 'gone', id: 4, managed: true, body: { name: 'Gone' } },
    { key: 'hand-made', id: 5, managed: false, body: { name: 'Hand made' } },
  ],
};

describe('assemblePlan', () => {
  it('classifies create, update, no-op and restore, and keeps removed objects aside', () => {
    const { stages, orphans } = assemblePlan([cards], { allowArchive: false, refs });
    const ops = Object.fromEntries(stages[0]!.actions.map((a) => [a.key, a.op]));
    expect(ops).toEqual({ same: 'noop', renamed: 'update', fresh: 'create', restored: 'update' });
    expect(stages[0]!.actions.find((a) => a.key === 'renamed')?.changes).toEqual([{ path: 'name', before: 'Old name', after: 'New name' }]);
    expect(stages[0]!.actions.find((a) => a.key === 'restored')?.changes).toEqual([{ path: 'archived', before: true, after: false }]);
    expect(orphans.map((o) => [o.address, o.name])).toEqual([['card.gone', 'Gone']]);
  });

  it('archives removed managed objects only when allowed, and never unmanaged ones', () => {
    const { stages, orphans } = assemblePlan([cards], { allowArchive: true, refs });
    const archived = stages[0]!.actions.filter((a) => a.op === 'archive').map((a) => a.key);
    expect(archived).toEqual(['gone']);
    expect(orphans).toEqual([]);
  });

  it('marks refs without an id yet as known after apply', () => {
    const { stages } = assemblePlan([cards], { allowArchive: false, refs });
    expect(stages[0]!.actions.find((a) => a.key === 'fresh')?.knownAfterApply).toEqual(['card:same']);
    expect(stages[0]!.actions.find((a) => a.key === 'same')?.knownAfterApply).toBeUndefined();
  });

  it('counts kept removed objects as changes (plan --detailed-exitcode) but not as work for apply', () => {
    const only = { ...cards, desired: cards.live.filter((l) => l.key !== 'gone' && l.key !== 'hand-made').map((l) => ({ key: l.key, body: l.body })), live: cards.live.map((l) => ({ ...l, archived: false })) };
    const { stages, orphans } = assemblePlan([only], { allowArchive: false, refs });
    const plan = { summary: summarize(stages), orphans };
    expect(orphans.map((o) => o.address)).toEqual(['card.gone']);
    expect(hasWork(plan)).toBe(false);
    expect(hasChanges(plan)).toBe(true);
    expect(hasChanges({ ...plan, orphans: [] })).toBe(false);
  });
});
