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

  it('refuses a plan whose stages come before what they depend on, before anything is written', async () => {
    const log: string[] = [];
    const handlers = kinds(log, Promise.resolve());
    const state = await makePlan({ project, api, server, target, handlers, allowArchive: false });
    state.plan.stages.reverse();
    await expect(applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} })).rejects.toThrow('card depends on database, which has no stage before it in the plan');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual([]);
  });

  it('refuses a kind with two closing steps (one would be dropped), before anything is written', async () => {
    const log: string[] = [];
    const handlers = kinds(log, Promise.resolve()).map((h) => (h.kind !== 'database' ? h : { ...h, async afterStageInBackground() {} }));
    const state = await makePlan({ project, api, server, target, handlers, allowArchive: false });
    await expect(applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} })).rejects.toThrow('database has both afterStage and afterStageInBackground');
    expect(log).toEqual([]);
  });

  it('when a stage breaks (not an object failing: a fault of mb-sync), stops what depends on it, ends the others, then throws', async () => {
    const log: string[] = [];
    const sync = deferred<void>();
    const handlers = kinds(log, sync.promise);
    const state = await makePlan({ project, api, server, target, handlers, allowArchive: false });
    const emit = (event: { type: string; address?: string }) => {
      if (event.type === 'start' && event.address === 'group.one') throw new Error('the renderer broke');
    };
    const applying = applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit });
    let settled = false;
    applying.catch(() => {}).finally(() => (settled = true));
    await expect.poll(() => log.includes('sync starts')).toBe(true);
    // The database's stage is still going: the apply has not given up on it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    sync.resolve();
    await expect(applying).rejects.toThrow('the renderer broke');
    expect(log).toEqual(['create database', 'sync starts', 'sync ends']);
  });

  // Table metadata closes with a rescan of filter values that cards do not need: they go out while
  // it runs, and the apply still ends only once it has (its failure reported as the kind's).
  it('starts the stages after a kind while its background closing step runs, and ends only after it', async () => {
    const log: string[] = [];
    const rescan = deferred<void>();
    const handlers = kinds(log, Promise.resolve()).map((h) => (h.kind !== 'database' ? h : {
      ...h,
      afterStage: undefined,
      async afterStageInBackground() { log.push('rescan starts'); await rescan.promise; log.push('rescan ends'); },
    }));
    let ended = false;
    const applying = apply(handlers).then((result) => { ended = true; return result; });
    await expect.poll(() => log.includes('create card')).toBe(true);
    expect(log).toContain('rescan starts');
    expect(log.indexOf('rescan starts')).toBeLessThan(log.indexOf('create card'));
    expect(log).not.toContain('rescan ends');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toBe(false);
    rescan.reject(new Error('rescan refused'));
    const result = await applying;
    expect(result.applied.sort()).toEqual(['card.one', 'collection.one', 'database.one', 'group.one']);
    expect(result.failed).toEqual([{ address: 'database.*', error: expect.stringContaining('rescan refused') }]);
  });
});
