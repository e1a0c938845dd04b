import { describe, expect, it } from 'vitest';
import { readLive } from '../../../src/engine/read-live.ts';
import type { Project } from '../../../src/core/project.ts';
import type { MetabaseApi } from '../../../src/metabase/types.ts';
import type { ResourceHandler } from '../../../src/resources/types.ts';

const base = { api: {} as MetabaseApi, project: {} as Project };
const kind = (name: string, extra: Partial<ResourceHandler>): ResourceHandler => ({
  kind: name, dependsOn: [], desired: () => [], read: async () => [], normalize: (live) => live.raw, create: async () => 1, update: async () => {}, ...extra,
});

describe('reading the kinds', () => {
  it('refuses kinds that wait on each other before their reads, before anything is read', async () => {
    const reads: string[] = [];
    const read = (name: string) => async () => (reads.push(name), []);
    const kinds = [kind('a', { readAfter: ['b'], read: read('a') }), kind('b', { readAfter: ['a'], read: read('b') }), kind('c', { read: read('c') })];
    await expect(readLive(kinds, base)).rejects.toThrow('resource kinds wait on each other: b → a → b');
    expect(reads).toEqual([]);
  });

  it('refuses a wait during a read that would close a loop, instead of hanging', async () => {
    // Cards wait for the collections inside their read; collections would wait for the cards first.
    const cards = kind('card', { read: async (ctx) => (await ctx.after('collection'), []) });
    const collections = kind('collection', { readAfter: ['card'] });
    await expect(readLive([cards, collections], base)).rejects.toThrow('resource kinds wait on each other: card → collection → card');
    // Both waits made during the reads, each after a request of its own.
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    const a = kind('a', { read: async (ctx) => (await tick(), await ctx.after('b'), []) });
    const b = kind('b', { read: async (ctx) => (await tick(), await tick(), await ctx.after('a'), []) });
    await expect(readLive([a, b], base)).rejects.toThrow('resource kinds wait on each other: b → a → b');
  });

  it('lets a read wait for a kind read already, or one that waits on nothing of it', async () => {
    const order: string[] = [];
    const db = kind('database', { read: async () => (order.push('database'), []) });
    const cards = kind('card', { read: async (ctx) => (await ctx.after('database'), await ctx.after('collection'), order.push('card'), []) });
    const collections = kind('collection', { readAfter: ['database'], read: async () => (order.push('collection'), []) });
    await readLive([cards, collections, db], base);
    expect(order).toEqual(['database', 'collection', 'card']);
  });
});
