import { describe, expect, it } from 'vitest';
import { readLive } from '../../../src/engine/read-live.ts';
import { handlers as registry } from '../../../src/resources/registry.ts';
import type { Project } from '../../../src/core/project.ts';
import type { MetabaseApi } from '../../../src/metabase/types.ts';
import type { ResourceHandler } from '../../../src/resources/types.ts';

const base = { api: {} as MetabaseApi, project: {} as Project };
const kind = (name: string, extra: Partial<ResourceHandler>): ResourceHandler => ({
  kind: name, dependsOn: [], desired: () => [], read: async () => [], normalize: (live) => live.raw, create: async () => 1, update: async () => {}, ...extra,
});

describe('reading the kinds', () => {
  it('refuses kinds that wait on each other, before their reads or during them, instead of hanging', async () => {
    const cards = kind('card', { readWaits: ['collection'], read: async (ctx) => (await ctx.after('collection'), []) });
    const collections = kind('collection', { readAfter: ['card'] });
    await expect(readLive([cards, collections], base)).rejects.toThrow('resource kinds wait on each other');
  });

  it('declares every wait the real kinds make during their reads', () => {
    // A kind that calls ctx.after(k) must name k in readAfter or readWaits (src/resources/types.ts).
    for (const h of registry) {
      const source = h.read.toString();
      for (const [, waited] of source.matchAll(/ctx\.after\(['"]([\w-]+)['"]\)/g)) {
        expect([...(h.readAfter ?? []), ...(h.readWaits ?? [])], `${h.kind} waits for ${waited}`).toContain(waited);
      }
    }
  });
});
