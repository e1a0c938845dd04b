import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Project } from '../../../src/core/project.ts';
import { deferred } from '../../../src/core/deferred.ts';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import type { MetabaseApi, ServerInfo } from '../../../src/metabase/types.ts';
import type { ResourceHandler } from '../../../src/resources/types.ts';

const server: ServerInfo = { tag: 'v0.58.1', major: 58, emailConfigured: true, siteUrl: null };
const api = { concurrency: 8, stats: { requests: 0, byMethod: {} } } as unknown as MetabaseApi;
const project = { root: join(import.meta.dirname, '../../..'), config: { project: 'p', postgres: { schema: 'analytics', sql_dir: 'sql' } } } as unknown as Project;
const target = { environment: 'test', url: 'http://mb' };

/**
 * Kinds shaped like the real ones, each creating one object and writing down when: a database whose
 * closing step (its sync) waits until the test lets it end, groups and collections that need nothing
 * of it, and cards that need both.
 */
function kinds(log: string[], sync: Promise<void>): ResourceHandler[] {
  const kind = (name: string, dependsOn: string[], extra: Partial<ResourceHandler> = {}): ResourceHandler => ({
    kind: name,
    dependsOn,
    desired: () => [{ key: 'one', body: { name } }],
    read: async () => [],
    normalize: (live) => live.raw,
    async create() {
      log.push(`create ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 1;
    },
    async update() {},
    ...extra,
  });
  return [
    kind('database', [], { async afterStage() { log.push('sync starts'); await sync; log.push('sync ends'); } }),
    kind('group', []),
    kind('collection', ['group']),
    kind('card', ['database', 'collection']),
  ];
}

async function apply(handlers: ResourceHandler[]) {
  const state = await makePlan({ project, api, server, target, handlers, allowArchive: false });
  return applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
}

describe('the order of stages in an apply', () => {
  it('writes groups and collections while the database syncs, and cards only once both are done', async () => {
    const log: string[] = [];
    const sync = deferred<void>();
    const applying = apply(kinds(log, sync.promise));
    await expect.poll(() => log.includes('create collection')).toBe(true);
    // The collection went out behind the group it depends on, with the sync still going.
    expect(log.indexOf('create group')).toBeLessThan(log.indexOf('create collection'));
    expect(log).toContain('sync starts');
    expect(log).not.toContain('sync ends');
    expect(log).not.toContain('create card');
    sync.resolve();
    const result = await applying;
    expect(result.failed).toEqual([]);
    expect(log.indexOf('create card')).toBeGreaterThan(log.indexOf('sync ends'));
    expect(result.applied.sort()).toEqual(['card.one', 'collection.one', 'database.one', 'group.one']);
  });

  it("archives containers after every other stage, the sync included", async () => {
    const log: string[] = [];
    const sync = deferred<void>();
    const handlers = kinds(log, sync.promise).map((h) => (h.kind !== 'collection' ? h : {
      ...h,
      archiveLast: true,
      // A collection mb-sync made, gone from the files: archived with --allow-archive.
      read: async () => [{ key: 'old', id: 9, raw: { name: 'collection' }, managed: true }],
      async archive() { log.push('archive collection'); },
    }));
    const state = await makePlan({ project, api, server, target, handlers, allowArchive: true });
    expect(state.plan.stages.map((s) => s.kind)).toEqual(['database', 'group', 'collection', 'card', 'collection']);
    const applying = applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
    await expect.poll(() => log.includes('create collection')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).not.toContain('archive collection');
    sync.resolve();
    expect((await applying).failed).toEqual([]);
    expect(log.slice(-3)).toEqual(['sync ends', 'create card', 'archive collection']);
  });
});
